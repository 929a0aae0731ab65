#include "cli/server_parts.hpp"

#include <spdlog/spdlog.h>

#include "api/chat_handler.hpp"
#include "api/feedback_api.hpp"
#include "api/health.hpp"
#include "api/metrics.hpp"
#include "api/openai_api.hpp"
#include "api/openai_handler.hpp"
#include "api/rate_limit.hpp"
#include "api/search_handler.hpp"
#include "api/sessions_api.hpp"
#include "cli/index_reloader.hpp"
#include "cli/local_search.hpp"
#include "cli/upstream_metrics.hpp"
#include "feedback/redis_feedback_store.hpp"
#include "feedback/sqlite_feedback_store.hpp"
#include "http/cors.hpp"
#include "http/middleware.hpp"
#include "observability/http_metrics.hpp"
#include "observability/logging.hpp"
#include "observability/metrics.hpp"
#include "rag/options.hpp"
#include "rag/pipeline.hpp"
#include "retrieval/embedding_cache.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/searcher.hpp"
#include "session/session_store.hpp"
#include "store/index_reader.hpp"
#include "upstream/bounded_chat_model.hpp"
#include "upstream/factory.hpp"
#include "web/openapi.hpp"
#include "web/ui.hpp"

namespace rag::cli {

Result<SharedState> build_shared_state(const config::Config& config,
                                       boost::asio::io_context& ioc,
                                       observability::Readiness& readiness);

namespace {

void register_process_metrics(const http::LoadShedder& shedder) {
  auto& registry = observability::Registry::global();
  registry.callback("rag_process_resident_memory_bytes", "Resident memory of the process.",
                    "gauge", {}, observability::resident_memory_bytes);
  registry.callback("rag_build_info", "Build information.", "gauge",
                    {{"version", RAG_SERVER_VERSION}}, [] { return 1.0; });
  registry.callback("rag_http_requests_in_flight", "Requests being handled now.", "gauge", {},
                    [&shedder] { return static_cast<double>(shedder.in_flight()); });
  registry.callback("rag_http_requests_shed_total", "Requests refused with 503 at capacity.",
                    "counter", {}, [&shedder] { return static_cast<double>(shedder.shed()); });
  registry.callback("rag_access_log_dropped_lines_total",
                    "Access-log lines dropped because stdout did not drain.", "counter", {},
                    [] { return static_cast<double>(observability::access_log_dropped_lines()); });
}

// An upstream is a readiness concern only while configured and circuit-open; running without
// one is a mode (extractive answers, lexical search), not a failure. /readyz answers anyone, so
// it says the state only; which deployment or model is used goes to the log, once.
template <class Model>
void add_upstream(observability::Readiness& readiness, const std::string& name,
                  const std::shared_ptr<Model>& model, const char* when_absent,
                  const std::string& description) {
  if (!model) {
    readiness.add({name, [] { return std::optional<std::string>(); },
                   [when_absent] { return std::string(when_absent); }});
    return;
  }
  spdlog::info("{}: {}", name == "chat_upstream" ? "Chat upstream" : "Embeddings upstream",
               description);
  const std::string label = name.substr(0, name.find("_upstream"));  // "chat", "embeddings"
  // Weak references: the process-wide metrics registry must not keep the adapter (and its
  // connections) alive past the I/O contexts it posts to.
  std::weak_ptr<const upstream::Stats> stats;
  if (model->stats()) stats = std::shared_ptr<const upstream::Stats>(model, model->stats());
  std::weak_ptr<Model> weak_model = model;
  register_upstream_metrics(label, stats, [weak_model] {
    auto live = weak_model.lock();
    return live ? live->circuit_state() : upstream::CircuitState::kClosed;
  });
  readiness.add({name,
                 [model]() -> std::optional<std::string> {
                   if (model->circuit_state() == upstream::CircuitState::kOpen)
                     return "circuit open (upstream failing)";
                   return std::nullopt;
                 },
                 [model] {
                   return "configured (circuit " + std::string(to_string(model->circuit_state())) +
                          ")";
                 }});
}

}  // namespace

ServerParts::ServerParts() = default;
ServerParts::~ServerParts() {
  if (reloader) reloader->stop();
}
ServerParts::ServerParts(ServerParts&&) noexcept = default;
ServerParts& ServerParts::operator=(ServerParts&&) noexcept = default;

namespace {

// The index: loaded by the reloader thread; readiness and metrics read the current snapshot.
void build_index(const config::Config& config, ServerParts& parts) {
  const auto path = config.vector_db_path;
  parts.index = std::make_unique<retrieval::LiveIndex>(
      [path] { return store::IndexReader::open(path); }, snapshot_options(config, path));
  auto* index = parts.index.get();
  parts.readiness->add({"index",
                        [index]() -> std::optional<std::string> {
                          if (!index->current()) return "index not loaded (run rag-server index)";
                          return std::nullopt;
                        },
                        [index] {
                          auto s = index->current();
                          const char* search = s->approximate()      ? " (HNSW graph)"
                                               : s->awaiting_graph() ? " (exact search until "
                                                                       "rag-server index stores "
                                                                       "the HNSW graph)"
                                                                     : "";
                          return std::to_string(s->size()) + " chunks, " +
                                 std::to_string(s->vector_count()) + " with vectors" + search;
                        }});
  auto& registry = observability::Registry::global();
  registry.callback("rag_index_chunks", "Chunks in the loaded index.", "gauge", {}, [index] {
    auto s = index->current();
    return s ? static_cast<double>(s->size()) : 0.0;
  });
  registry.callback("rag_index_vectors", "Chunks with an embedding in the loaded index.",
                    "gauge", {}, [index] {
                      auto s = index->current();
                      return s ? static_cast<double>(s->vector_count()) : 0.0;
                    });
  parts.searcher = std::make_shared<const retrieval::Searcher>(
      *parts.index, parts.embedder, std::make_shared<retrieval::EmbeddingCache>(1024));
  parts.reloader = std::make_unique<IndexReloader>(*parts.index, std::chrono::seconds(5));
}

}  // namespace

// The feedback store (docs/configuration.md, FEEDBACK): in Redis when the replicas share it,
// else in STATE_DIR; null when it is off, or when the state folder cannot hold it (logged; the
// server serves without feedback).
static std::shared_ptr<feedback::FeedbackStore> open_feedback_store(const config::Config& config,
                                                                    redis::RedisClient* redis) {
  if (!config.feedback) return nullptr;
  const auto retention =
      std::chrono::duration_cast<std::chrono::seconds>(config.feedback_retention);
  if (redis) return std::make_shared<feedback::RedisFeedbackStore>(*redis, retention);
  auto store = feedback::SqliteFeedbackStore::open(config.state_dir / "feedback.sqlite", retention);
  if (!store) {
    spdlog::error("Feedback is off: {} (set STATE_DIR to a writable folder, or FEEDBACK=off)",
                  store.error().message);
    return nullptr;
  }
  return std::move(*store);
}

Result<ServerParts> build_parts(const config::Config& config, boost::asio::io_context& ioc,
                                const std::vector<std::string>& always_admit) {
  ServerParts parts;
  parts.readiness = std::make_shared<observability::Readiness>();
  std::vector<std::string> admitted{"/healthz", "/readyz"};
  admitted.insert(admitted.end(), always_admit.begin(), always_admit.end());
  // The OpenAI-compatible face refuses in OpenAI's error shape, as its other errors.
  auto refusal_body = [](std::string_view path) {
    if (!path.starts_with("/v1/")) return std::string();  // the default {"detail": ...}
    return api::openai_error_body({503, std::string(http::kShedMessage), "server_error", "", ""});
  };
  parts.shedder = std::make_unique<http::LoadShedder>(config.max_concurrent_requests,
                                                      std::move(admitted), refusal_body);
  register_process_metrics(*parts.shedder);

  if (std::shared_ptr<upstream::ChatModel> model =
          upstream::make_chat_model(config, ioc.get_executor())) {
    auto bounded = std::make_shared<upstream::BoundedChatModel>(std::move(model),
                                                                config.max_upstream_calls);
    observability::Registry::global().callback(
        "rag_upstream_calls_refused_total",
        "Chat calls refused with 503 because MAX_UPSTREAM_CALLS were in flight.", "counter", {},
        [weak = std::weak_ptr(bounded)] {  // weak: see add_upstream
          auto live = weak.lock();
          return live ? static_cast<double>(live->refused()) : 0.0;
        });
    parts.chat = std::move(bounded);
  }
  parts.embedder = upstream::make_embedder(config, ioc.get_executor());
  auto chat = parts.chat;
  auto embedder = parts.embedder;
  add_upstream(*parts.readiness, "chat_upstream", chat, "not configured: extractive answers",
               chat ? chat->describe() : std::string());
  add_upstream(*parts.readiness, "embeddings_upstream", embedder, "not configured: lexical search",
               embedder ? embedder->model_name() : std::string());

  auto state = build_shared_state(config, ioc, *parts.readiness);
  if (!state) return std::unexpected(state.error());
  parts.state = std::move(*state);

  build_index(config, parts);
  auto chat_options = chat::pipeline_options(config);
  if (!chat_options) return std::unexpected(chat_options.error());
  // The stores live in `parts.state` for the whole run: a non-owning handle.
  std::shared_ptr<session::SessionStore> sessions(std::shared_ptr<void>{}, parts.state.sessions);
  parts.pipeline = std::make_shared<const chat::Pipeline>(*parts.searcher, parts.chat, sessions,
                                                          std::move(*chat_options));
  parts.feedback = open_feedback_store(config, parts.state.redis.get());

  http::LoadShedder* shedder = parts.shedder.get();
  parts.readiness->add({"load", [shedder]() -> std::optional<std::string> {
                          if (shedder->saturated()) return "shedding load (at capacity)";
                          return std::nullopt;
                        }, nullptr});
  return parts;
}

// GET /ui/source's data: the chunks of one citation url in the snapshot being served (a
// binary search in the snapshot's url order, then a copy of that page's chunks). Any thread.
static web::SourceLookup make_source_lookup(const retrieval::LiveIndex& index) {
  return [&index](std::string_view url) -> std::optional<web::SourceDoc> {
    const auto snapshot = index.current();
    if (!snapshot) return std::nullopt;
    auto chunks = snapshot->source(url);
    if (chunks.empty()) return std::nullopt;
    web::SourceDoc doc;
    doc.url = std::string(url);
    for (auto& chunk : chunks) {
      const auto& m = chunk.metadata;
      web::add_source_chunk(doc, {m.section, std::move(chunk.content), std::size_t(m.overlap)},
                            m.page_title);
    }
    return doc;
  };
}

static api::InputLimits input_limits(const config::Config& config) {
  return {.max_message_chars = config.max_message_chars,
          .max_history_messages = config.max_history_messages,
          .max_history_chars = config.max_history_chars,
          .max_query_chars = config.max_query_chars};
}

void register_routes(http::Router& router, const config::Config& config, ServerParts& parts) {
  using http::Verb;
  const auto limits = input_limits(config);
  router.add(Verb::get, "/", api::root(config.server_name));
  router.add(Verb::get, "/healthz", api::healthz());
  router.add(Verb::get, "/readyz", api::readyz(parts.readiness));
  auto* sessions = parts.state.sessions;
  auto& active = observability::Registry::global().gauge(
      "rag_sessions_active", "Active conversation sessions (shared ones when in Redis).");
  const std::shared_ptr<session::SessionStore> store(std::shared_ptr<void>{},
                                                     parts.state.sessions);
  router.add(Verb::post, "/search", api::search_handler(parts.searcher, limits));
  router.add(Verb::post, "/chat",
             api::chat_handler(parts.pipeline, {.limits = limits, .feedback = parts.feedback}));
  if (parts.feedback) router.add(Verb::post, "/feedback", api::feedback_handler(parts.feedback));
  router.add(Verb::get, "/sessions/{id}/history", api::session_history_handler(store));
  router.add(Verb::delete_, "/sessions/{id}", api::session_delete_handler(store));
  router.add(Verb::post, "/v1/chat/completions",
             api::openai_chat_completions_handler(
                 parts.pipeline, {.limits = limits, .feedback = parts.feedback}));
  router.add(Verb::get, "/v1/models", api::openai_models_handler({}));
  router.add(Verb::get, "/metrics",
             api::metrics([sessions, &active]() -> boost::asio::awaitable<void> {
               if (auto n = co_await sessions->count()) active.set(static_cast<double>(*n));
             }));
  web::add_ui_routes(
      router, {.site_url = config.site_url, .source_lookup = make_source_lookup(*parts.index)});
  web::add_openapi_routes(router, {.max_message_chars = limits.max_message_chars,
                                   .max_history_messages = limits.max_history_messages,
                                   .max_history_chars = limits.max_history_chars,
                                   .max_query_chars = limits.max_query_chars});
}

http::Handler build_handler(const http::Router& router, const config::Config& config,
                            ServerParts& parts) {
  // canonical_path() before everything that reads the path: one spelling for the load
  // shedder's probes, the rate limits and the router alike.
  return http::chain(
      {http::request_id(), http::security_headers(), http::canonical_path(),
       api::client_ip(config.trusted_proxies), http::cors({config.allowed_origins, 600})},
      {parts.shedder->middleware(),
       api::rate_limit(*parts.state.limiter, api::default_rate_limit_rules(config))},
      [&router](http::RequestContext& ctx) { return router.dispatch(ctx); });
}

// The path as the access log shows it. A session id is a bearer token to its conversation:
// on the /sessions/{id} routes it is logged as its session::log_id() (`masked` holds the text).
static std::string_view logged_path(const http::RequestContext& ctx, std::string& masked) {
  const auto id = ctx.params.find("id");
  if (id == ctx.params.end() || !ctx.route.starts_with("/sessions/")) return ctx.path();
  masked = ctx.route;
  masked.replace(masked.find("{id}"), 4, session::log_id(id->second));
  return masked;
}

void on_request_complete(const http::RequestContext& ctx, unsigned status, std::size_t bytes) {
  const auto elapsed = std::chrono::steady_clock::now() - ctx.started;
  std::string masked;
  const std::string_view method{ctx.request.method_string().data(),
                                ctx.request.method_string().size()};
  observability::record_http_request(ctx.route.empty() ? "unmatched" : ctx.route, method, status,
                                     std::chrono::duration<double>(elapsed).count());
  observability::write_access_log({
      .request_id = ctx.request_id,
      .client = ctx.client_ip,
      .method = method,
      .path = logged_path(ctx, masked),
      .status = status,
      .bytes = bytes,
      .duration_ms = std::chrono::duration<double, std::milli>(elapsed).count(),
      .user_agent = ctx.header("User-Agent"),
      .timings = ctx.timings,
  });
}

}  // namespace rag::cli
