// Everything `rag-server serve` answers with: the upstream adapters, the shared state, the
// index and its reloader, the search and chat pipeline, the feedback store, the route table and
// the middleware chain around it (docs/ARCHITECTURE.md, "One request, end to end").
//
// Each part is a member, owned by value or by unique_ptr and declared in build order: a part
// takes references to the parts declared before it, so destruction, in reverse, never leaves a
// reference dangling. Each part publishes its own metrics and readiness checks
// (observability/telemetry.hpp) as it is built.
//
// Thread-safety: build, add routes and take the handler on one thread at start-up; the handler
// then runs on any thread. The Application (application.hpp) owns the services and destroys
// them only once the HTTP server and every I/O context have stopped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/shared_state.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "feedback/feedback_store.hpp"
#include "http/load_shedding.hpp"
#include "http/router.hpp"
#include "observability/readiness.hpp"
#include "observability/telemetry.hpp"
#include "chat/pipeline.hpp"
#include "retrieval/embedding_cache.hpp"
#include "retrieval/index_reloader.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/searcher.hpp"
#include "upstream/bounded_chat_model.hpp"
#include "upstream/embedder.hpp"

namespace rag::app {

class Services {
 public:
  // Builds every part on `ioc` (the context of the shared services: upstream pools, Redis,
  // sweeps) and registers the product's routes. `always_admit`: paths the load shedder never
  // refuses besides the probes. Errors (a malformed REDIS_URL, an unreadable system prompt
  // file) are fatal at start-up. REQUIRES: `config` and `ioc` outlive the services.
  static Result<std::unique_ptr<Services>> build(const config::Config& config,
                                                 boost::asio::io_context& ioc,
                                                 std::vector<std::string> always_admit = {});
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  // The route table, for a test build to add its routes before handler() is called.
  http::Router& router() { return router_; }
  // The middleware chain around the route table; the HTTP server's handler.
  http::Handler handler();

  retrieval::LiveIndex& index() { return index_; }
  retrieval::IndexReloader& reloader() { return reloader_; }
  // Where the parts built after the services (the HTTP server) publish theirs.
  observability::Telemetry& telemetry() { return telemetry_; }

 private:
  Services(const config::Config& config, boost::asio::io_context& ioc,
           std::optional<redis::RedisEndpoint> redis, chat::PipelineOptions chat_options,
           std::vector<std::string> always_admit);
  void register_routes();

  const config::Config& config_;
  observability::Readiness readiness_;
  observability::Telemetry telemetry_;
  http::LoadShedder shedder_;
  std::unique_ptr<upstream::BoundedChatModel> chat_;  // null: extractive answers
  std::unique_ptr<upstream::Embedder> embedder_;      // null: lexical search
  SharedState state_;
  retrieval::LiveIndex index_;
  retrieval::EmbeddingCache embedding_cache_;
  retrieval::Searcher searcher_;
  chat::Pipeline pipeline_;
  std::unique_ptr<feedback::FeedbackStore> feedback_;  // null: FEEDBACK=off or unavailable
  retrieval::IndexReloader reloader_;                  // loads `index_`
  http::Router router_;
};

// The HTTP server's completion hook: records each finished request's metrics and access-log
// line (observability/request_log.hpp), with session ids masked in the logged path.
void record_finished_request(const http::RequestContext& ctx, unsigned status, std::size_t bytes);

}  // namespace rag::app
