// See redis_rate_limiter.hpp. The script mirrors MemoryRateLimiter::check_now line by line.
#include "ratelimit/redis_rate_limiter.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace rag::ratelimit {
namespace {

// KEYS[1] = log key. ARGV: limit, window_us, now_us (0 = use TIME), unique member suffix.
// Returns {allowed, remaining, reset_after_us, retry_after_us}.
const redis::RedisScript kSlidingLog(R"lua(
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now <= 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, limit - count - 1, window, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {0, 0, tonumber(newest[2]) + window - now, tonumber(oldest[2]) + window - now}
)lua");

std::string unique_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(redis::RedisClient& client, std::string key_prefix,
                                   WallClock clock)
    : client_(client), prefix_(std::move(key_prefix)), clock_(std::move(clock)) {}

asio::awaitable<Result<Decision>> RedisRateLimiter::try_check(std::string_view route,
                                                              std::string_view client_ip,
                                                              const config::RateLimitSpec& spec) {
  if (!spec.enabled || spec.count <= 0) co_return Decision{true, 0, 0, 0, 0};
  const int limit = spec.count;
  const long long window = static_cast<long long>(spec.period_seconds) * 1'000'000;
  long long now = 0;
  if (clock_) {
    now = std::chrono::duration_cast<std::chrono::microseconds>(clock_().time_since_epoch()).count();
  }
  // Everything taken from the arguments before the first suspension.
  std::vector<std::string> keys{prefix_ + "rl:" + std::string(route) + ":" + std::string(client_ip)};
  std::vector<std::string> args{std::to_string(limit), std::to_string(window),
                                std::to_string(now), unique_suffix()};
  auto r = co_await client_.eval(kSlidingLog, std::move(keys), std::move(args));
  if (!r) co_return std::unexpected(r.error());
  if (r->elements.size() != 4) co_return fail(ErrorCode::kCorrupt, "unexpected rate-limit reply");
  Decision d;
  d.limit = limit;
  d.allowed = r->elements[0].integer == 1;
  d.remaining = static_cast<int>(r->elements[1].integer);
  d.reset_after_s = static_cast<double>(r->elements[2].integer) / 1e6;
  d.retry_after_s = static_cast<double>(r->elements[3].integer) / 1e6;
  co_return d;
}

asio::awaitable<Decision> RedisRateLimiter::check(std::string_view route,
                                                  std::string_view client_ip,
                                                  const config::RateLimitSpec& spec) {
  auto r = co_await try_check(route, client_ip, spec);
  if (r) co_return *r;
  spdlog::debug("Rate limit check failed open: {}", r.error().message);
  co_return Decision{true, spec.count, spec.count, 0, 0};
}

}  // namespace rag::ratelimit
