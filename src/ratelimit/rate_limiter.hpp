// Rate limiting per route and client: the RateLimiter interface and its Decision. Implementations:
// MemoryRateLimiter (one process), RedisRateLimiter (shared by replicas; one atomic script per
// decision) and FallbackRateLimiter (Redis while healthy, local limits while it is not).
//
// Semantics (all implementations): a sliding log — a request is allowed when fewer than
// `spec.count` requests of the same (route, client) were allowed in the last
// `spec.period_seconds`; refused requests are not counted. So "20/minute" means exactly that,
// in every 60-second window.
//
// How to use it (the HTTP middleware):
//   auto ip = ratelimit::resolve_client_ip(peer, xff_header, cfg.trusted_proxies);
//   auto d = co_await limiter.check("chat", ip, cfg.rate_limit_chat);
//   if (!d.allowed) → 429 {"error": "Rate limit exceeded: " + spec.describe()...} with
//     Retry-After: ceil(d.retry_after_s); X-RateLimit-Limit: d.limit;
//     X-RateLimit-Remaining: d.remaining; X-RateLimit-Reset: ceil(d.reset_after_s)
//   (set the X-RateLimit-* headers on allowed responses too). A disabled spec ("off") always
//   allows, with limit 0.
// The string_view arguments must stay alive until the co_await completes (they do when the
// call is awaited in the same expression).
//
// Thread-safety: implementations may be called concurrently from any thread.
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "config/config.hpp"

namespace rag::ratelimit {

namespace asio = boost::asio;

struct Decision {
  bool allowed = true;
  int limit = 0;             // spec.count (0 when limiting is off)
  int remaining = 0;         // requests still allowed in the current window
  double reset_after_s = 0;  // until the window holds no counted request
  double retry_after_s = 0;  // until the next request would be allowed (0 when allowed)
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual asio::awaitable<Decision> check(std::string_view route, std::string_view client_ip,
                                          const config::RateLimitSpec& spec) = 0;
};

}  // namespace rag::ratelimit
