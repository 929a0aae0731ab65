// Builds the shared state of ServerParts: sessions and rate limits in memory, or in Redis with
// the memory parts as a fallback while Redis is unreachable.
#include <spdlog/spdlog.h>

#include "cli/server_parts.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/fallback_rate_limiter.hpp"
#include "ratelimit/memory_rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_url.hpp"
#include "session/fallback_session_store.hpp"
#include "session/memory_session_store.hpp"
#include "session/redis_session_store.hpp"

namespace rag::cli {

SharedState::SharedState() = default;
SharedState::~SharedState() = default;
SharedState::SharedState(SharedState&&) noexcept = default;
SharedState& SharedState::operator=(SharedState&&) noexcept = default;

void SharedState::stop() {
  if (local_sessions) local_sessions->stop_sweeper();
  if (local_limiter) local_limiter->stop_sweeper();
  if (redis) redis->stop();
}

Result<SharedState> build_shared_state(const config::Config& config,
                                       boost::asio::io_context& ioc,
                                       observability::Readiness& readiness) {
  SharedState state;
  const auto history = static_cast<std::size_t>(config.max_conversation_history);
  state.local_sessions = std::make_unique<session::MemorySessionStore>(
      session::MemorySessionOptions{.max_history = history,
                                    .max_bytes = config.max_session_bytes,
                                    .idle_timeout = config.session_timeout,
                                    .max_sessions = config.max_sessions});
  state.local_sessions->start_sweeper(ioc.get_executor(), config.cleanup_interval);
  state.local_limiter = std::make_unique<ratelimit::MemoryRateLimiter>();
  state.local_limiter->start_sweeper(ioc.get_executor(), std::chrono::seconds(60));
  state.sessions = state.local_sessions.get();
  state.limiter = state.local_limiter.get();

  auto* local_sessions = state.local_sessions.get();
  observability::Registry::global().callback(
      "rag_sessions_local", "Sessions held in this replica's memory.", "gauge", {},
      [local_sessions] { return static_cast<double>(local_sessions->size()); });

  if (config.redis_url.empty()) return state;

  auto endpoint = redis::parse_redis_url(config.redis_url);
  if (!endpoint) return fail(ErrorCode::kInvalidArgument, "REDIS_URL: " + endpoint.error().message);
  state.redis = std::make_unique<redis::RedisClient>(ioc.get_executor(), *endpoint);
  state.redis->start();
  auto* client = state.redis.get();
  auto healthy = [client] { return client->healthy(); };

  auto redis_sessions = std::make_unique<session::RedisSessionStore>(
      *client, session::RedisSessionOptions{.max_history = history,
                                            .max_bytes = config.max_session_bytes,
                                            .idle_timeout = config.session_timeout,
                                            .key_prefix = "rag:"});
  auto sessions = std::make_unique<session::FallbackSessionStore>(*redis_sessions,
                                                                  *state.local_sessions, healthy);
  state.sessions = sessions.get();
  state.session_layers.push_back(std::move(redis_sessions));
  state.session_layers.push_back(std::move(sessions));

  auto redis_limiter = std::make_unique<ratelimit::RedisRateLimiter>(*client, "rag:");
  auto limiter = std::make_unique<ratelimit::FallbackRateLimiter>(*redis_limiter,
                                                                  *state.local_limiter, healthy);
  state.limiter = limiter.get();
  state.limiter_layers.push_back(std::move(redis_limiter));
  state.limiter_layers.push_back(std::move(limiter));

  // /readyz answers anyone: the state only; where Redis is goes to the log.
  readiness.add({"redis",
                 [client]() -> std::optional<std::string> {
                   if (client->healthy()) return std::nullopt;
                   return "redis unreachable (serving with local sessions and limits)";
                 },
                 [] { return std::string("connected"); }});
  observability::Registry::global().callback(
      "rag_redis_up", "1 while Redis answers.", "gauge", {},
      [client] { return client->healthy() ? 1.0 : 0.0; });
  spdlog::info("Sessions and rate limits shared through Redis at {}", client->describe());
  return state;
}

}  // namespace rag::cli
