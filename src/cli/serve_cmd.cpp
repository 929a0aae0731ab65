// `rag-server serve`: builds the server's parts, registers the routes (the one flat table of
// the product) and runs until SIGTERM/SIGINT; SIGHUP reloads the index.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <functional>
#include <thread>
#include <vector>

#include "cli/commands.hpp"
#include "cli/heap_trimmer.hpp"
#include "cli/index_reloader.hpp"
#include "cli/server_parts.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
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
  o.request_timeout = duration_cast<milliseconds>(c.request_timeout);
  o.max_body_bytes = c.max_body_bytes;
  o.max_header_bytes = c.max_header_bytes;
  o.max_connections = c.max_connections;
  o.ssl_certfile = c.ssl_certfile;
  o.ssl_keyfile = c.ssl_keyfile;
  return o;
}

// An io_context whose pending work can be destroyed on demand: the coroutine frames of
// connections still open when the grace period ended sit in its queues, and they reference the
// server's parts (the load shedder's counter, the router), so they must go while those live.
class WorkerContext : public asio::io_context {
 public:
  WorkerContext() : asio::io_context(1) {}
  void destroy_pending() { shutdown(); }  // idempotent; the destructor calls it again
};

// One single-threaded io_context per worker thread (see http/server.hpp). The first also
// runs the shared services: upstream clients, Redis, sweeps, signals. Work guards keep idle
// contexts running until stop().
class WorkerContexts {
 public:
  explicit WorkerContexts(int workers) {
    for (int i = 0; i < workers; ++i) {
      contexts_.push_back(std::make_unique<WorkerContext>());
      guards_.push_back(asio::make_work_guard(*contexts_.back()));
    }
  }

  asio::io_context& main() { return *contexts_.front(); }

  std::vector<asio::io_context*> all() {
    std::vector<asio::io_context*> out;
    for (auto& c : contexts_) out.push_back(c.get());
    return out;
  }

  // Runs every context (the first on the calling thread) until stop().
  void run() {
    std::vector<std::thread> threads;
    for (size_t i = 1; i < contexts_.size(); ++i)
      threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
    contexts_.front()->run();
    for (auto& t : threads) t.join();
  }

  void stop() {
    for (auto& c : contexts_) c->stop();
  }

  // After run(): destroys what is still queued (see WorkerContext). Posting afterwards is
  // safe (queued and destroyed with the context), so the parts may be torn down next.
  void destroy_pending() {
    for (auto& c : contexts_) c->destroy_pending();
  }

 private:
  std::vector<std::unique_ptr<WorkerContext>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
};

// SIGTERM/SIGINT: graceful shutdown, then every context stops; a second one exits at once.
// SIGHUP: reload the index.
class SignalHandler {
 public:
  SignalHandler(WorkerContexts& contexts, http::Server& server, milliseconds grace,
                std::function<void()> reload)
      : contexts_(contexts),
        server_(server),
        grace_(grace),
        reload_(std::move(reload)),
        signals_(contexts.main(), SIGINT, SIGTERM, SIGHUP) {
    wait();
  }

 private:
  void wait() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        spdlog::info("Received SIGHUP: reloading the index");
        reload_();
      } else if (stopping_) {
        spdlog::warn("Second signal: exiting now");
        std::_Exit(1);
      } else {
        stopping_ = true;
        spdlog::info("Received {}, shutting down gracefully (up to {:.0f}s)",
                     signal == SIGTERM ? "SIGTERM" : "SIGINT", grace_.count() / 1000.0);
        asio::co_spawn(
            asio::make_strand(contexts_.main()),
            [this]() -> asio::awaitable<void> {
              co_await server_.shutdown(grace_);
              contexts_.stop();
            },
            asio::detached);
      }
      wait();
    });
  }

  WorkerContexts& contexts_;
  http::Server& server_;
  milliseconds grace_;
  std::function<void()> reload_;
  asio::signal_set signals_;
  bool stopping_ = false;
};

// Holds the port closed until the first index load ends, so that every answer, from the first
// connection on, comes from the index (a client connecting as the port opens would otherwise
// get 503s). Past INDEX_LOAD_WAIT (a huge index), or without an index, the server listens
// anyway: /healthz answers, /search and /chat answer 503 with Retry-After and /readyz 503 until
// a snapshot is in.
void wait_for_index(IndexReloader& reloader, config::Seconds bound) {
  switch (reloader.wait_for_first_load(duration_cast<milliseconds>(bound))) {
    case IndexReloader::FirstLoad::kLoaded:
      return;
    case IndexReloader::FirstLoad::kFailed:
      spdlog::warn(
          "Serving without an index: /search and /chat answer 503 and /readyz is not "
          "ready until one loads (checked every 5 s)");
      return;
    case IndexReloader::FirstLoad::kPending:
      spdlog::warn(
          "The index is still loading after {:.0f}s (INDEX_LOAD_WAIT): listening "
          "anyway; /search and /chat answer 503 until it is loaded",
          bound.count());
      return;
  }
}

int serve(const config::Config& config, const TestHooks& test_hooks) {
  observability::init_logging(config);
  observability::set_redactions(config.secrets());
  spdlog::info("Starting {} (rag-server {})", config.server_name, RAG_SERVER_VERSION);

  WorkerContexts contexts(config.workers);
  auto parts = build_parts(config, contexts.main(), test_hooks.always_admit);
  if (!parts) {
    spdlog::error("{}", parts.error().message);
    return 1;
  }
  http::Router router;
  register_routes(router, config, *parts);
  if (test_hooks.add_routes) test_hooks.add_routes(router);
  auto handler = build_handler(router, config, *parts);

  http::Server server(contexts.all(), server_options(config), std::move(handler),
                      on_request_complete);
  observability::Registry::global().callback(
      "rag_http_connections_refused_total",
      "Connections answered 503 and closed at accept because MAX_CONNECTIONS were open.",
      "counter", {}, [refused = server.refused_connections()] {
        return static_cast<double>(refused->load(std::memory_order_relaxed));
      });
  // Installed before the wait: a signal arriving meanwhile is handled once the contexts run.
  SignalHandler signals(contexts, server, duration_cast<milliseconds>(config.graceful_timeout),
                        [&parts] { parts->reloader->request_reload(); });
  wait_for_index(*parts->reloader, config.index_load_wait);
  auto port = server.listen();
  if (!port) {
    spdlog::error("{}", port.error().message);
    return 1;
  }
  server.start();
  HeapTrimmer heap_trimmer;  // memory a load spike freed goes back to the system
  heap_trimmer.start(contexts.main().get_executor());
  if (!config.has_chat_upstream())
    spdlog::warn("No chat upstream configured (AZURE_OPENAI_CHAT_ENDPOINT or OPENAI_BASE_URL + "
                 "CHAT_MODEL): answers will be extractive");
  spdlog::info("Server listening on {}://{}:{} with {} workers",
               config.ssl_certfile.empty() ? "http" : "https", config.host, *port,
               config.workers);

  contexts.run();
  contexts.destroy_pending();  // before anything those frames reference goes (locals below)
  parts->reloader->stop();
  parts->state.stop();
  heap_trimmer.stop();
  observability::flush_access_log();
  spdlog::info("Server stopped");
  return 0;
}

}  // namespace

Runner add_serve_command(CLI::App& app, TestHooks test_hooks) {
  app.add_subcommand("serve", "run the HTTP server (the default without a command)");
  return [test_hooks = std::move(test_hooks)](const config::Config& config) {
    return serve(config, test_hooks);
  };
}

}  // namespace rag::cli
