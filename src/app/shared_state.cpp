#include "app/shared_state.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace rag::app {
namespace {

constexpr const char* kKeyPrefix = "rag:";  // of every Redis key the server writes

session::MemorySessionOptions local_session_options(const config::Config& config) {
  return {.max_history = static_cast<std::size_t>(config.max_conversation_history),
          .max_bytes = config.max_session_bytes,
          .idle_timeout = config.session_timeout,
          .max_sessions = config.max_sessions};
}

session::RedisSessionOptions redis_session_options(const config::Config& config) {
  return {.max_history = static_cast<std::size_t>(config.max_conversation_history),
          .max_bytes = config.max_session_bytes,
          .idle_timeout = config.session_timeout,
          .key_prefix = kKeyPrefix};
}

}  // namespace

SharedState::SharedState(const config::Config& config, boost::asio::io_context& ioc,
                         std::optional<redis::RedisEndpoint> redis)
    : local_sessions_(local_session_options(config)),
      redis_(redis ? std::make_unique<redis::RedisClient>(ioc.get_executor(), std::move(*redis))
                   : nullptr),
      redis_sessions_(redis_ ? std::make_unique<session::RedisSessionStore>(
                                   *redis_, redis_session_options(config))
                             : nullptr),
      shared_sessions_(redis_ ? std::make_unique<session::FallbackSessionStore>(
                                    *redis_sessions_, local_sessions_,
                                    [client = redis_.get()] { return client->healthy(); })
                              : nullptr),
      redis_limiter_(redis_ ? std::make_unique<ratelimit::RedisRateLimiter>(*redis_, kKeyPrefix)
                            : nullptr),
      shared_limiter_(redis_ ? std::make_unique<ratelimit::FallbackRateLimiter>(
                                   *redis_limiter_, local_limiter_,
                                   [client = redis_.get()] { return client->healthy(); })
                             : nullptr) {
  local_sessions_.start_sweeper(ioc.get_executor(), config.cleanup_interval);
  local_limiter_.start_sweeper(ioc.get_executor(), std::chrono::seconds(60));
  if (!redis_) return;
  redis_->start();
  spdlog::info("Sessions and rate limits shared through Redis at {}", redis_->describe());
}

void SharedState::publish(observability::Telemetry& telemetry) const {
  local_sessions_.publish(telemetry);
  if (redis_) redis_->publish(telemetry);
}

}  // namespace rag::app
