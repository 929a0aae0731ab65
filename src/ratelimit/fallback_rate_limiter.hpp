// A RateLimiter that decides in Redis while it is healthy and locally while it is not (docs/api.md:
// "if Redis fails, fall back to local limits"). During an outage each replica counts on its
// own, so a client spread over N replicas may get up to N× the limit until Redis returns; the
// local counts are not merged back.
//
// How to use it: FallbackRateLimiter limiter(redis_limiter, memory_limiter,
//                                            [&client] { return client.healthy(); });
// Thread-safety: any thread; both limiters and the predicate must outlive this object.
#pragma once

#include <functional>

#include "ratelimit/rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"

namespace rag::ratelimit {

class FallbackRateLimiter final : public RateLimiter {
 public:
  FallbackRateLimiter(RedisRateLimiter& shared, RateLimiter& local,
                      std::function<bool()> shared_healthy);

  asio::awaitable<Decision> check(std::string_view route, std::string_view client_ip,
                                  const config::RateLimitSpec& spec) override;

 private:
  RedisRateLimiter& shared_;
  RateLimiter& local_;
  std::function<bool()> shared_healthy_;
};

}  // namespace rag::ratelimit
