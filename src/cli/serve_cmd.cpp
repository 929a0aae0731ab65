// `rag-server serve`: builds the server (app/application.hpp) and runs it until SIGTERM/SIGINT;
// SIGHUP reloads the index.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/application.hpp"
#include "cli/commands.hpp"
#include "observability/logging.hpp"

namespace rag::cli {
namespace {

int serve(const config::Config& config, const app::TestHooks& test_hooks) {
  observability::init_logging(config);
  observability::set_redactions(config.secrets());
  spdlog::info("Starting {} (rag-server {})", config.server_name, RAG_SERVER_VERSION);
  auto application = app::Application::build(config, test_hooks);
  if (!application) {
    spdlog::error("{}", application.error().message);
    return 1;
  }
  auto served = (*application)->run();
  application->reset();  // every part, in reverse build order
  observability::flush_access_log();
  if (!served) {
    spdlog::error("{}", served.error().message);
    return 1;
  }
  spdlog::info("Server stopped");
  return 0;
}

}  // namespace

Runner add_serve_command(CLI::App& app, rag::app::TestHooks test_hooks) {
  app.add_subcommand("serve", "run the HTTP server (the default without a command)");
  return [test_hooks = std::move(test_hooks)](const config::Config& config) {
    return serve(config, test_hooks);
  };
}

}  // namespace rag::cli
