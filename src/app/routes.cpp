// The product's route table (one flat list) and the middleware chain around it.
#include <spdlog/spdlog.h>

#include "api/chat_handler.hpp"
#include "api/feedback_api.hpp"
#include "api/health.hpp"
#include "api/metrics.hpp"
#include "api/openai_handler.hpp"
#include "api/rate_limit.hpp"
#include "api/search_handler.hpp"
#include "api/sessions_api.hpp"
#include "app/services.hpp"
#include "http/cors.hpp"
#include "http/middleware.hpp"
#include "observability/request_log.hpp"
#include "session/session_store.hpp"
#include "web/openapi.hpp"
#include "web/ui.hpp"

namespace rag::app {
namespace {

api::InputLimits input_limits(const config::Config& config) {
  return {.max_message_chars = config.max_message_chars,
          .max_history_messages = config.max_history_messages,
          .max_history_chars = config.max_history_chars,
          .max_query_chars = config.max_query_chars};
}

// GET /ui/source's data: the chunks of one citation url in the snapshot being served (a
// binary search in the snapshot's url order, then a copy of that page's chunks). Any thread.
web::SourceLookup source_lookup(const retrieval::LiveIndex& index) {
  return [&index](std::string_view url) -> Result<std::optional<web::SourceDoc>> {
    const auto snapshot = index.current();
    if (!snapshot) return std::nullopt;
    auto chunks = snapshot->source(url);
    if (!chunks) return std::unexpected(chunks.error());
    if (chunks->empty()) return std::nullopt;
    web::SourceDoc doc;
    doc.url = std::string(url);
    for (auto& chunk : *chunks) {
      const auto& m = chunk.metadata;
      web::add_source_chunk(doc, {m.section, std::move(chunk.content), std::size_t(m.overlap)},
                            m.page_title);
    }
    return doc;
  };
}

// The path as the access log shows it. A session id is a bearer token to its conversation:
// on the /sessions/{id} routes it is logged as its session::log_id() (`masked` holds the text).
std::string_view logged_path(const http::RequestContext& ctx, std::string& masked) {
  const auto id = ctx.params.find("id");
  if (id == ctx.params.end() || !ctx.route.starts_with("/sessions/")) return ctx.path();
  masked = ctx.route;
  masked.replace(masked.find("{id}"), 4, session::log_id(id->second));
  return masked;
}

}  // namespace

void Services::register_routes() {
  using http::Verb;
  const auto limits = input_limits(config_);
  auto& router = router_;
  router.add(Verb::get, "/", api::root(config_.server_name));
  router.add(Verb::get, "/healthz", api::healthz());
  router.add(Verb::get, "/readyz", api::readyz(readiness_));
  router.add(Verb::post, "/search", api::search_handler(searcher_, limits));
  router.add(Verb::post, "/chat",
             api::chat_handler(pipeline_, {.limits = limits, .feedback = feedback_.get()}));
  if (feedback_) router.add(Verb::post, "/feedback", api::feedback_handler(*feedback_));
  router.add(Verb::get, "/sessions/{id}/history", api::session_history_handler(state_.sessions()));
  router.add(Verb::delete_, "/sessions/{id}", api::session_delete_handler(state_.sessions()));
  router.add(Verb::post, "/v1/chat/completions",
             api::openai_chat_completions_handler(pipeline_,
                                                  {.limits = limits, .feedback = feedback_.get()}));
  router.add(Verb::get, "/v1/models", api::openai_models_handler({}));
  auto& active = telemetry_.metrics.gauge(
      "rag_sessions_active", "Active conversation sessions (shared ones when in Redis).");
  router.add(
      Verb::get, "/metrics",
      api::metrics([&sessions = state_.sessions(), &active]() -> boost::asio::awaitable<void> {
        if (auto n = co_await sessions.count()) active.set(static_cast<double>(*n));
      }));
  web::add_ui_routes(router,
                     {.site_url = config_.site_url, .source_lookup = source_lookup(index_)});
  web::add_openapi_routes(router, {.max_message_chars = limits.max_message_chars,
                                   .max_history_messages = limits.max_history_messages,
                                   .max_history_chars = limits.max_history_chars,
                                   .max_query_chars = limits.max_query_chars});
}

http::Handler Services::handler() {
  // canonical_path() before everything that reads the path: one spelling for the load
  // shedder's probes, the rate limits and the router alike.
  return http::chain(
      {http::request_id(), http::security_headers(), http::canonical_path(),
       api::client_ip(config_.trusted_proxies), http::cors({config_.allowed_origins, 600})},
      {shedder_.middleware(),
       api::rate_limit(state_.limiter(), api::default_rate_limit_rules(config_))},
      [this](http::RequestContext& ctx) { return router_.dispatch(ctx); });
}

void record_finished_request(const http::RequestContext& ctx, unsigned status, std::size_t bytes) {
  const auto elapsed = std::chrono::steady_clock::now() - ctx.started;
  std::string masked;
  const std::string_view method{ctx.request.method_string().data(),
                                ctx.request.method_string().size()};
  observability::record_finished_request(
      ctx.route.empty() ? "unmatched" : std::string_view(ctx.route),
      {
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

}  // namespace rag::app
