// URL parsing for upstream endpoints (see url.hpp).
#include "upstream/url.hpp"

#include <algorithm>
#include <cctype>

#include "common/text.hpp"

namespace rag::upstream {

std::string Url::origin() const {
  const bool bracket = host.find(':') != std::string::npos;
  std::string h = bracket ? "[" + host + "]" : host;
  return std::string(tls ? "https://" : "http://") + h + ":" + port;
}

std::string Url::host_header() const {
  const bool bracket = host.find(':') != std::string::npos;
  std::string h = bracket ? "[" + host + "]" : host;
  if (port == (tls ? "443" : "80")) return h;
  return h + ":" + port;
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  const std::string scheme = lower(text.substr(0, std::min<std::size_t>(text.size(), 8)));
  if (scheme.starts_with("https://")) {
    url.tls = true;
    text.remove_prefix(8);
  } else if (scheme.starts_with("http://")) {
    text.remove_prefix(7);
  } else {
    return fail(ErrorCode::kInvalidArgument, "URL must start with http:// or https://");
  }
  const auto slash = text.find_first_of("/?");
  std::string_view authority = text.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  if (url.target.front() == '?') url.target.insert(url.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos)
    return fail(ErrorCode::kInvalidArgument, "URL must not contain credentials");
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(ErrorCode::kInvalidArgument, "bad IPv6 host");
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fail(ErrorCode::kInvalidArgument, "bad host");
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return fail(ErrorCode::kInvalidArgument, "URL has no host");
  if (!port.empty() && !std::all_of(port.begin(), port.end(),
                                    [](unsigned char c) { return std::isdigit(c); }))
    return fail(ErrorCode::kInvalidArgument, "URL has a bad port");
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  return url;
}

Result<Url> join_url(std::string_view base, std::string_view path) {
  std::string b(base);
  while (!b.empty() && b.back() == '/') b.pop_back();
  std::string p(path);
  if (!p.starts_with("/")) p.insert(p.begin(), '/');
  return parse_url(b + p);
}

}  // namespace rag::upstream
