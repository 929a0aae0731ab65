// Sessions and rate limits: in this replica's memory, or shared through Redis (REDIS_URL) with
// the memory parts as the fallback while Redis is unreachable (session/fallback_session_store.hpp,
// ratelimit/fallback_rate_limiter.hpp: availability over consistency).
//
// Invariants: sessions() and limiter() are the stores to use: the shared layer when there is
// one, else the local store. Each layer is a member declared after the layers it refers to, so
// destruction runs from the top layer down by itself.
//
// Thread-safety: build and publish at start-up; the stores are thread-safe (their headers).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <utility>

#include "config/config.hpp"
#include "observability/telemetry.hpp"
#include "ratelimit/fallback_rate_limiter.hpp"
#include "ratelimit/memory_rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_url.hpp"
#include "session/fallback_session_store.hpp"
#include "session/memory_session_store.hpp"
#include "session/redis_session_store.hpp"

namespace rag::app {

class SharedState {
 public:
  // `redis`: where REDIS_URL points, or nullopt to keep everything in memory. Starts the
  // memory stores' sweeps and the Redis client on `ioc`.
  SharedState(const config::Config& config, boost::asio::io_context& ioc,
              std::optional<redis::RedisEndpoint> redis);
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  session::SessionStore& sessions() {
    if (shared_sessions_) return *shared_sessions_;
    return local_sessions_;
  }
  ratelimit::RateLimiter& limiter() {
    if (shared_limiter_) return *shared_limiter_;
    return local_limiter_;
  }
  redis::RedisClient* redis() { return redis_.get(); }  // null without REDIS_URL

  // rag_sessions_local, and Redis's series and readiness check when it is used.
  void publish(observability::Telemetry& telemetry) const;

 private:
  session::MemorySessionStore local_sessions_;
  ratelimit::MemoryRateLimiter local_limiter_;
  std::unique_ptr<redis::RedisClient> redis_;  // null without REDIS_URL
  std::unique_ptr<session::RedisSessionStore> redis_sessions_;
  std::unique_ptr<session::FallbackSessionStore> shared_sessions_;
  std::unique_ptr<ratelimit::RedisRateLimiter> redis_limiter_;
  std::unique_ptr<ratelimit::FallbackRateLimiter> shared_limiter_;
};

}  // namespace rag::app
