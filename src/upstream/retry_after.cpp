// Reading an upstream's suggested waits (see retry_after.hpp).
#include "upstream/retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

#include "common/text.hpp"

namespace rag::upstream {
namespace {

Seconds clamp(Seconds s) { return std::clamp(s, Seconds(0), kMaxSuggestedWait); }

}  // namespace

std::optional<Seconds> parse_delay(std::string_view text, Seconds unit) {
  text = trim(text, kSpaceTab);
  std::size_t digits = 0, dots = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c == '.')
      ++dots;
    else
      return std::nullopt;
  }
  if (digits == 0 || dots > 1) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // Digits only, so the one failure left is a value beyond double: as long as can be.
  if (ec == std::errc::result_out_of_range) return kMaxSuggestedWait;
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return clamp(Seconds(std::min(value, 1e12) * unit.count()));  // finite whatever the unit
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  const std::string s(trim(text, kSpaceTab));
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = strptime(s.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    const time_t t = timegm(&tm);
    if (t == static_cast<time_t>(-1)) continue;
    // The clock counts nanoseconds in 64 bits (to the year 2262): a later date is that year.
    constexpr auto kLatest =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max())
            .count() -
        1;
    return std::chrono::system_clock::from_time_t(std::min<time_t>(t, kLatest));
  }
  return std::nullopt;
}

std::optional<Seconds> parse_retry_after(std::string_view value,
                                         std::chrono::system_clock::time_point now) {
  if (auto s = parse_delay(value, Seconds(1))) return s;
  const auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  // Both sides are in range of the clock (time_t seconds of a parsed date; "now"), so the
  // difference is; in double seconds before clamping.
  return clamp(std::chrono::duration_cast<Seconds>(*when - now));
}

}  // namespace rag::upstream
