#include "config/parse.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

namespace rag::config {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    out.push_back(trim(s.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

std::optional<long long> parse_int(std::string_view s) {
  long long n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

std::optional<double> parse_double(std::string_view s) {
  double x = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || !std::isfinite(x))
    return std::nullopt;
  return x;
}

std::string format_number(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

std::string_view url_credentials(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const auto start = scheme_end + 3;
  const auto authority_end = text.find_first_of("/?#", start);
  const auto at = text.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < start) return {};
  return text.substr(start, at - start);
}

std::string without_credentials(std::string_view text) {
  const auto credentials = url_credentials(text);
  if (credentials.empty()) return std::string(text);
  const auto start = static_cast<std::size_t>(credentials.data() - text.data());
  return std::string(text.substr(0, start)) + "***" +
         std::string(text.substr(start + credentials.size()));
}

}  // namespace rag::config
