// rag-index-driver: `rag-server index` without the rest of the server, built from the same
// cli/index_cmd.cpp. Used by the indexing benchmark and as a fallback by
// tests/integration/test_index_cli.py while the full binary cannot be linked.
// Usage: rag-index-driver index PATH... [--chunk-* N]  (configuration from env / ./.env)
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "config/loader.hpp"

int main(int argc, char** argv) {
  CLI::App app{"rag-index-driver: the index subcommand of rag-server, standalone"};
  auto runner = rag::cli::add_index_command(app);
  app.require_subcommand(1, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto config = rag::config::load({}, rag::config::process_env(),
                                  rag::config::read_dotenv_file(".env"));
  if (!config) {
    std::cerr << "configuration error: " << config.error().message << "\n";
    return 2;
  }
  return runner(*config);
}
