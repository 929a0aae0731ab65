// The parts of a running server, built once at start-up from the configuration, and the
// route table over them. serve_cmd.cpp owns the lifecycle (threads, signals, shutdown); this
// file owns what is served.
#pragma once

#include <utility>
#include <boost/asio/io_context.hpp>
#include <memory>

#include "common/result.hpp"
#include "config/config.hpp"
#include "http/load_shedding.hpp"
#include "http/router.hpp"
#include "observability/readiness.hpp"

namespace rag::upstream {
class ChatModel;
class Embedder;
}  // namespace rag::upstream
namespace rag::redis {
class RedisClient;
}
namespace rag::session {
class SessionStore;
class MemorySessionStore;
}  // namespace rag::session
namespace rag::ratelimit {
class RateLimiter;
class MemoryRateLimiter;
}  // namespace rag::ratelimit
namespace rag::retrieval {
class LiveIndex;
class Searcher;
}  // namespace rag::retrieval
namespace rag::chat {
class Pipeline;
}
namespace rag::feedback {
class FeedbackStore;
}

namespace rag::cli {

// Shared state: in memory, or in Redis (with the memory parts as fallback) when REDIS_URL is set.
struct SharedState {
  SharedState();
  ~SharedState();
  SharedState(SharedState&&) noexcept;
  SharedState& operator=(SharedState&&) noexcept;

  std::unique_ptr<redis::RedisClient> redis;  // null without REDIS_URL
  std::unique_ptr<session::MemorySessionStore> local_sessions;
  std::unique_ptr<ratelimit::MemoryRateLimiter> local_limiter;
  std::vector<std::unique_ptr<session::SessionStore>> session_layers;      // Redis, fallback
  std::vector<std::unique_ptr<ratelimit::RateLimiter>> limiter_layers;     // Redis, fallback
  session::SessionStore* sessions = nullptr;   // the one to use
  ratelimit::RateLimiter* limiter = nullptr;   // the one to use

  // Stops background sweeps and the Redis client (before the io_context goes).
  void stop();
};

class IndexReloader;

struct ServerParts {
  ServerParts();
  ~ServerParts();
  ServerParts(ServerParts&&) noexcept;
  ServerParts& operator=(ServerParts&&) noexcept;

  std::shared_ptr<upstream::ChatModel> chat;     // null: extractive answers
  std::shared_ptr<upstream::Embedder> embedder;  // null: lexical search
  SharedState state;
  std::unique_ptr<retrieval::LiveIndex> index;
  std::unique_ptr<IndexReloader> reloader;       // loads `index`; SIGHUP → request_reload()
  std::shared_ptr<const retrieval::Searcher> searcher;
  std::shared_ptr<const chat::Pipeline> pipeline;
  std::unique_ptr<http::LoadShedder> shedder;
  std::shared_ptr<observability::Readiness> readiness;
  std::shared_ptr<feedback::FeedbackStore> feedback;  // null: FEEDBACK=off or unavailable
};

// Builds every part, registers readiness checks and metrics. Errors (e.g. an index that
// exists but cannot be read) are fatal at start-up.
// `always_admit`: extra paths the load shedder never refuses (the probes always are).
Result<ServerParts> build_parts(const config::Config& config, boost::asio::io_context& ioc,
                                const std::vector<std::string>& always_admit = {});

// The product's route table (one flat list) and the middleware chain around it.
void register_routes(http::Router& router, const config::Config& config, ServerParts& parts);
http::Handler build_handler(const http::Router& router, const config::Config& config,
                            ServerParts& parts);

// Called once per finished request: metrics and the access-log line.
void on_request_complete(const http::RequestContext& ctx, unsigned status, std::size_t bytes);

}  // namespace rag::cli
