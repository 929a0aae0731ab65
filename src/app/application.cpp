#include "app/application.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace rag::app {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

http::ServerOptions server_options(const config::Config& c) {
  http::ServerOptions o;
  o.host = c.host;
  o.port = c.port;
  o.header_timeout = duration_cast<milliseconds>(c.header_timeout);
  o.keepalive = duration_cast<milliseconds>(c.keepalive);
  o.write_timeout = duration_cast<milliseconds>(c.request_timeout);
  o.request_timeout = duration_cast<milliseconds>(c.request_timeout);
  o.max_body_bytes = c.max_body_bytes;
  o.max_header_bytes = c.max_header_bytes;
  o.max_connections = c.max_connections;
  o.ssl_certfile = c.ssl_certfile;
  o.ssl_keyfile = c.ssl_keyfile;
  return o;
}

}  // namespace

Result<std::unique_ptr<Application>> Application::build(const config::Config& config,
                                                        const TestHooks& hooks) {
  auto contexts = std::make_unique<WorkerContexts>(config.workers);
  auto services = Services::build(config, contexts->main(), hooks.always_admit);
  if (!services) return std::unexpected(services.error());
  if (hooks.add_routes) hooks.add_routes((*services)->router());
  return std::unique_ptr<Application>(
      new Application(config, std::move(contexts), std::move(*services)));
}

Application::Application(const config::Config& config, std::unique_ptr<WorkerContexts> contexts,
                         std::unique_ptr<Services> services)
    : config_(config),
      contexts_(std::move(contexts)),
      services_(std::move(services)),
      server_(contexts_->all(), server_options(config), services_->handler(),
              record_finished_request),
      // Installed before the wait for the index: a signal arriving meanwhile is handled once
      // the contexts run.
      signals_(*contexts_, server_, duration_cast<milliseconds>(config.graceful_timeout),
               [this] { services_->reloader().request_reload(); }) {
  server_.publish(services_->telemetry());
}

// Holds the port closed until the first index load ends, so that every answer, from the first
// connection on, comes from the index (a client connecting as the port opens would otherwise
// get 503s). Past INDEX_LOAD_WAIT (a huge index), or without an index, the server listens
// anyway: /healthz answers, /search and /chat answer 503 with Retry-After and /readyz 503 until
// a snapshot is in.
void Application::wait_for_index() {
  const auto bound = config_.index_load_wait;
  switch (services_->reloader().wait_for_first_load(duration_cast<milliseconds>(bound))) {
    case retrieval::IndexReloader::FirstLoad::kLoaded:
      return;
    case retrieval::IndexReloader::FirstLoad::kFailed:
      spdlog::warn(
          "Serving without an index: /search and /chat answer 503 and /readyz is not "
          "ready until one loads (checked every 5 s)");
      return;
    case retrieval::IndexReloader::FirstLoad::kPending:
      spdlog::warn(
          "The index is still loading after {:.0f}s (INDEX_LOAD_WAIT): listening "
          "anyway; /search and /chat answer 503 until it is loaded",
          bound.count());
      return;
  }
}

Result<void> Application::run() {
  wait_for_index();
  auto port = server_.listen();
  if (!port) return std::unexpected(port.error());
  server_.start();
  heap_trimmer_.start(contexts_->main().get_executor());
  if (!config_.has_chat_upstream())
    spdlog::warn(
        "No chat upstream configured (AZURE_OPENAI_CHAT_ENDPOINT or OPENAI_BASE_URL + "
        "CHAT_MODEL): answers will be extractive");
  spdlog::info("Server listening on {}://{}:{} with {} workers",
               config_.ssl_certfile.empty() ? "http" : "https", config_.host, *port,
               config_.workers);
  contexts_->run();
  // What is still queued references the server and the services: it goes first, then the
  // members, in reverse build order, when the application is destroyed.
  contexts_->destroy_pending();
  return {};
}

}  // namespace rag::app
