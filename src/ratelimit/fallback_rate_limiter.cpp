// See fallback_rate_limiter.hpp. Any Redis error on a call sends that very call to the local
// limiter, so a request is never refused or delayed because Redis went away.
#include "ratelimit/fallback_rate_limiter.hpp"

namespace rag::ratelimit {

FallbackRateLimiter::FallbackRateLimiter(RedisRateLimiter& shared, RateLimiter& local,
                                         std::function<bool()> shared_healthy)
    : shared_(shared), local_(local), shared_healthy_(std::move(shared_healthy)) {}

asio::awaitable<Decision> FallbackRateLimiter::check(std::string_view route,
                                                     std::string_view client_ip,
                                                     const config::RateLimitSpec& spec) {
  if (shared_healthy_()) {
    auto r = co_await shared_.try_check(route, client_ip, spec);
    if (r) co_return *r;
  }
  auto d = co_await local_.check(route, client_ip, spec);
  co_return d;
}

}  // namespace rag::ratelimit
