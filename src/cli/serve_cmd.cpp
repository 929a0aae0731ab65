// `rag-server serve`: builds the server's parts, registers the routes (the one flat table of
// the product) and runs until SIGTERM/SIGINT; SIGHUP reloads the index.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <thread>
#include <vector>

#include "api/health.hpp"
#include "api/metrics.hpp"
#include "cli/commands.hpp"
#include "http/cors.hpp"
#include "http/load_shedding.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/http_metrics.hpp"
#include "observability/logging.hpp"
#include "observability/metrics.hpp"

namespace rag::cli {
namespace {

namespace asio = boost::asio;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

http::ServerOptions server_options(const config::Config& c) {
  http::ServerOptions o;
  o.host = c.host;
  o.port = c.port;
  o.header_timeout = duration_cast<milliseconds>(c.header_timeout);
  o.keepalive = duration_cast<milliseconds>(c.keepalive);
  o.write_timeout = duration_cast<milliseconds>(c.request_timeout);
  o.max_body_bytes = c.max_body_bytes;
  o.max_header_bytes = c.max_header_bytes;
  o.ssl_certfile = c.ssl_certfile;
  o.ssl_keyfile = c.ssl_keyfile;
  return o;
}

// Runs once per finished request: metrics, then the access log line.
void on_request_complete(const http::RequestContext& ctx, unsigned status, std::size_t bytes) {
  const auto elapsed = std::chrono::steady_clock::now() - ctx.started;
  const std::string_view method{ctx.request.method_string().data(),
                                ctx.request.method_string().size()};
  observability::record_http_request(ctx.route.empty() ? "unmatched" : ctx.route, method, status,
                                     std::chrono::duration<double>(elapsed).count());
  observability::write_access_log({
      .request_id = ctx.request_id,
      .client = ctx.client_ip,
      .method = method,
      .path = ctx.path(),
      .status = status,
      .bytes = bytes,
      .duration_ms = std::chrono::duration<double, std::milli>(elapsed).count(),
      .user_agent = ctx.header("User-Agent"),
  });
}

void register_routes(http::Router& router, const config::Config& config,
                     std::shared_ptr<const observability::Readiness> readiness) {
  using http::Verb;
  router.add(Verb::get, "/", api::root(config.server_name));
  router.add(Verb::get, "/healthz", api::healthz());
  router.add(Verb::get, "/readyz", api::readyz(std::move(readiness)));
  router.add(Verb::get, "/metrics", api::metrics());
}

void register_process_metrics(const http::LoadShedder& shedder) {
  auto& registry = observability::Registry::global();
  registry.callback("rag_process_resident_memory_bytes", "Resident memory of the process.",
                    "gauge", {}, observability::resident_memory_bytes);
  registry.callback("rag_build_info", "Build information.", "gauge",
                    {{"version", RAG_SERVER_VERSION}}, [] { return 1.0; });
  registry.callback("rag_http_requests_in_flight", "Requests being handled now.", "gauge", {},
                    [&shedder] { return static_cast<double>(shedder.in_flight()); });
  registry.callback("rag_access_log_dropped_lines_total",
                    "Access-log lines dropped because stdout did not drain.", "counter", {},
                    [] { return static_cast<double>(observability::access_log_dropped_lines()); });
  registry.callback("rag_http_requests_shed_total", "Requests refused with 503 at capacity.",
                    "counter", {}, [&shedder] { return static_cast<double>(shedder.shed()); });
}

// SIGTERM/SIGINT: graceful shutdown, then the io_context stops; a second one exits at once.
// SIGHUP: reload (the index, once it exists).
class SignalHandler {
 public:
  SignalHandler(asio::io_context& ioc, http::Server& server, milliseconds grace)
      : ioc_(ioc), server_(server), grace_(grace), signals_(ioc, SIGINT, SIGTERM, SIGHUP) {
    wait();
  }

 private:
  void wait() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        spdlog::info("Received SIGHUP: nothing to reload yet");
      } else if (stopping_) {
        spdlog::warn("Second signal: exiting now");
        std::_Exit(1);
      } else {
        stopping_ = true;
        spdlog::info("Received {}, shutting down gracefully (up to {:.0f}s)",
                     signal == SIGTERM ? "SIGTERM" : "SIGINT", grace_.count() / 1000.0);
        asio::co_spawn(
            asio::make_strand(ioc_),
            [this]() -> asio::awaitable<void> {
              co_await server_.shutdown(grace_);
              ioc_.stop();
            },
            asio::detached);
      }
      wait();
    });
  }

  asio::io_context& ioc_;
  http::Server& server_;
  milliseconds grace_;
  asio::signal_set signals_;
  bool stopping_ = false;
};

int serve(const config::Config& config, const RouteHook& test_routes) {
  observability::init_logging(config);
  observability::set_redactions(config.secrets());
  spdlog::info("Starting {} (rag-server {})", config.server_name, RAG_SERVER_VERSION);

  asio::io_context ioc(config.workers);
  http::LoadShedder shedder(config.max_concurrent_requests);
  register_process_metrics(shedder);
  auto readiness = std::make_shared<observability::Readiness>();
  readiness->add({"load", [&shedder]() -> std::optional<std::string> {
                    if (shedder.saturated()) return "shedding load (at capacity)";
                    return std::nullopt;
                  }, nullptr});

  http::Router router;
  register_routes(router, config, readiness);
  if (test_routes) test_routes(router);
  auto handler = http::chain({http::request_id(), http::security_headers(),
                              http::cors({config.allowed_origins, 600}), shedder.middleware()},
                             [&router](http::RequestContext& ctx) { return router.dispatch(ctx); });

  http::Server server(ioc, server_options(config), std::move(handler), on_request_complete);
  auto port = server.listen();
  if (!port) {
    spdlog::error("{}", port.error().message);
    return 1;
  }
  server.start();
  SignalHandler signals(ioc, server, duration_cast<milliseconds>(config.graceful_timeout));
  if (!config.has_chat_upstream())
    spdlog::warn("No chat upstream configured (AZURE_OPENAI_CHAT_ENDPOINT or OPENAI_BASE_URL + "
                 "CHAT_MODEL): answers will be extractive");
  spdlog::info("Server listening on {}://{}:{} with {} workers",
               config.ssl_certfile.empty() ? "http" : "https", config.host, *port,
               config.workers);

  std::vector<std::thread> threads;
  for (int i = 1; i < config.workers; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  observability::flush_access_log();
  spdlog::info("Server stopped");
  return 0;
}

}  // namespace

Runner add_serve_command(CLI::App& app, RouteHook test_routes) {
  app.add_subcommand("serve", "run the HTTP server (the default without a command)");
  return [test_routes = std::move(test_routes)](const config::Config& config) {
    return serve(config, test_routes);
  };
}

}  // namespace rag::cli
