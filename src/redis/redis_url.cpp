// Parsing of REDIS_URL. Only `redis://` (plain TCP) is supported; `rediss://` (TLS) is refused
// with a clear message rather than silently connecting in clear text.
#include "redis/redis_url.hpp"

#include <charconv>

namespace rag::redis {
namespace {

bool parse_number(std::string_view s, int min, int max, int& out) {
  if (s.empty()) return false;
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

// "%40" style escapes in the user-info part (passwords often contain reserved characters).
std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string RedisEndpoint::describe() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) {
    return fail(ErrorCode::kInvalidArgument, "REDIS_URL: rediss:// (TLS) is not supported");
  }
  if (!url.starts_with(kScheme)) {
    return fail(ErrorCode::kInvalidArgument,
                "REDIS_URL: expected redis://[:password@]host[:port][/db]");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisEndpoint ep;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      ep.password = percent_decode(userinfo);  // redis://password@host (legacy form)
    } else {
      ep.username = percent_decode(userinfo.substr(0, colon));
      ep.password = percent_decode(userinfo.substr(colon + 1));
    }
  }
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !parse_number(db, 0, 1 << 20, ep.db)) {
      return fail(ErrorCode::kInvalidArgument, "REDIS_URL: the database must be a number");
    }
  }
  std::string_view port;
  if (hostport.starts_with('[')) {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument, "REDIS_URL: unterminated [IPv6] host");
    }
    ep.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return fail(ErrorCode::kInvalidArgument, "REDIS_URL: bad text after the host");
      }
      port = after.substr(1);
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    ep.host = std::string(hostport.substr(0, colon));
    port = hostport.substr(colon + 1);
  } else {
    ep.host = std::string(hostport);
  }
  if (ep.host.empty()) return fail(ErrorCode::kInvalidArgument, "REDIS_URL: missing host");
  if (!port.empty() && !parse_number(port, 1, 65535, ep.port)) {
    return fail(ErrorCode::kInvalidArgument, "REDIS_URL: the port must be 1-65535");
  }
  return ep;
}

}  // namespace rag::redis
