#include "app/services.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "api/openai_api.hpp"
#include "chat/options.hpp"
#include "feedback/redis_feedback_store.hpp"
#include "feedback/sqlite_feedback_store.hpp"
#include "retrieval/lexical_file.hpp"
#include "retrieval/options.hpp"
#include "retrieval/stored_graph.hpp"
#include "store/index_reader.hpp"
#include "upstream/factory.hpp"
#include "upstream/telemetry.hpp"

namespace rag::app {
namespace {

constexpr std::size_t kEmbeddingCacheEntries = 1024;
constexpr std::chrono::seconds kIndexPoll{5};  // how often the reloader looks for a new index

// The probes are never shed, nor the test build's extra paths.
std::vector<std::string> admitted_paths(std::vector<std::string> extra) {
  std::vector<std::string> admitted{"/healthz", "/readyz"};
  admitted.insert(admitted.end(), extra.begin(), extra.end());
  return admitted;
}

// The OpenAI-compatible face refuses in OpenAI's error shape, as its other errors.
std::string shed_refusal_body(std::string_view path) {
  if (!path.starts_with("/v1/")) return std::string();  // the default {"detail": ...}
  return api::openai_error_body({503, std::string(http::kShedMessage), "server_error", "", ""});
}

// The configured chat model behind MAX_UPSTREAM_CALLS, or null (extractive answers).
std::unique_ptr<upstream::BoundedChatModel> bounded_chat_model(const config::Config& config,
                                                               boost::asio::io_context& ioc) {
  auto model = upstream::make_chat_model(config, ioc.get_executor());
  if (!model) return nullptr;
  return std::make_unique<upstream::BoundedChatModel>(std::move(model), config.max_upstream_calls);
}

// The feedback store (docs/configuration.md, FEEDBACK): in Redis when the replicas share it,
// else in STATE_DIR; null when it is off, or when the state folder cannot hold it (logged; the
// server serves without feedback).
std::unique_ptr<feedback::FeedbackStore> open_feedback_store(const config::Config& config,
                                                             redis::RedisClient* redis) {
  if (!config.feedback) return nullptr;
  const auto retention =
      std::chrono::duration_cast<std::chrono::seconds>(config.feedback_retention);
  if (redis) return std::make_unique<feedback::RedisFeedbackStore>(*redis, retention);
  auto store = feedback::SqliteFeedbackStore::open(config.state_dir / "feedback.sqlite", retention);
  if (!store) {
    spdlog::error("Feedback is off: {} (set STATE_DIR to a writable folder, or FEEDBACK=off)",
                  store.error().message);
    return nullptr;
  }
  return std::move(*store);
}

}  // namespace

Result<std::unique_ptr<Services>> Services::build(const config::Config& config,
                                                  boost::asio::io_context& ioc,
                                                  std::vector<std::string> always_admit) {
  std::optional<redis::RedisEndpoint> redis;
  if (!config.redis_url.empty()) {
    auto endpoint = redis::parse_redis_url(config.redis_url);
    if (!endpoint)
      return fail(ErrorCode::kInvalidArgument, "REDIS_URL: " + endpoint.error().message);
    redis = std::move(*endpoint);
  }
  auto chat_options = chat::pipeline_options(config);
  if (!chat_options) return std::unexpected(chat_options.error());
  return std::unique_ptr<Services>(new Services(config, ioc, std::move(redis),
                                                std::move(*chat_options), std::move(always_admit)));
}

Services::Services(const config::Config& config, boost::asio::io_context& ioc,
                   std::optional<redis::RedisEndpoint> redis, chat::PipelineOptions chat_options,
                   std::vector<std::string> always_admit)
    : config_(config),
      telemetry_{observability::Registry::global(), readiness_},
      shedder_(config.max_concurrent_requests, admitted_paths(std::move(always_admit)),
               shed_refusal_body),
      chat_(bounded_chat_model(config, ioc)),
      embedder_(upstream::make_embedder(config, ioc.get_executor())),
      state_(config, ioc, std::move(redis)),
      index_([path = config.vector_db_path] { return store::IndexReader::open(path); },
             retrieval::snapshot_options(config),
             std::make_unique<retrieval::StoredGraph>(retrieval::graph_path(config.vector_db_path)),
             retrieval::lexical_index_path(config.vector_db_path)),
      embedding_cache_(kEmbeddingCacheEntries),
      searcher_(index_, embedder_.get(), &embedding_cache_),
      pipeline_(searcher_, chat_.get(), state_.sessions(), std::move(chat_options)),
      feedback_(open_feedback_store(config, state_.redis())),
      reloader_(index_, kIndexPoll) {
  // In the order /readyz lists its checks.
  observability::publish_process_metrics(telemetry_, RAG_SERVER_VERSION);
  if (chat_) chat_->publish(telemetry_);
  upstream::publish(telemetry_, chat_.get(), embedder_.get());
  state_.publish(telemetry_);
  index_.publish(telemetry_);
  shedder_.publish(telemetry_);
  register_routes();
}

}  // namespace rag::app
