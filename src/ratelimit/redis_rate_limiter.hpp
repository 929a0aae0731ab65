// RateLimiter in Redis, shared by every replica: the same sliding log as MemoryRateLimiter, kept
// in a sorted set per key (`<prefix>rl:<route>:<client>`, score = µs timestamp) and decided by
// ONE Lua script per request (EVALSHA; atomic, so concurrent replicas never over-admit). The
// key expires one period after its last allowed request. Time comes from Redis (TIME), so
// replicas with skewed clocks agree; tests may inject a clock instead.
//
// How to use it: normally through FallbackRateLimiter. try_check() reports Redis errors;
// check() (the interface) fails open — allows — when Redis cannot answer.
// Thread-safety: any thread; the RedisClient must outlive the limiter.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/result.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "redis/redis_client.hpp"

namespace rag::ratelimit {

class RedisRateLimiter final : public RateLimiter {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  explicit RedisRateLimiter(redis::RedisClient& client, std::string key_prefix = "rag:",
                            WallClock clock = nullptr);

  asio::awaitable<Result<Decision>> try_check(std::string_view route, std::string_view client_ip,
                                              const config::RateLimitSpec& spec);
  asio::awaitable<Decision> check(std::string_view route, std::string_view client_ip,
                                  const config::RateLimitSpec& spec) override;

 private:
  redis::RedisClient& client_;
  std::string prefix_;
  WallClock clock_;  // null: Redis' own TIME
};

}  // namespace rag::ratelimit
