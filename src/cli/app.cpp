// The command line: global configuration flags (one per setting, overriding the environment
// and .env), --version, and the subcommands of docs/index.md. `serve` is the default.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "observability/logging.hpp"

namespace rag::cli {

int run(int argc, char** argv, app::TestHooks test_hooks) {
  CLI::App app{"rag-server: retrieval-augmented generation over your documents, over HTTP.\n"
               "Configuration: flags > environment > ./.env (see docs/configuration.md)."};
  app.set_version_flag("--version", "rag-server " RAG_SERVER_VERSION);
  app.fallthrough();

  std::map<std::string, std::string> flags;
  std::map<std::string, std::string> values;  // CLI11 writes into these, keyed by env name
  for (const auto& setting : config::settings()) {
    std::string help = setting.help;
    if (*setting.default_text) help += std::string(" (default: ") + setting.default_text + ")";
    app.add_option(config::flag_name(setting.name), values[setting.name], help)
        ->group("Configuration")
        ->option_text(std::string("[") + setting.name + "]");
  }

  std::map<std::string, Runner> runners;
  runners["serve"] = add_serve_command(app, std::move(test_hooks));
  runners["index"] = add_index_command(app);
  runners["search"] = add_search_command(app);
  runners["check"] = add_check_command(app);
  runners["import-faiss"] = add_import_command(app);
  runners["eval"] = add_eval_command(app);
  runners["report"] = add_report_command(app);
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with status 0; every real parse error is a usage
    // error, status 2 like a malformed setting (CLI11's own codes mean nothing to scripts).
    return app.exit(e) == 0 ? 0 : 2;
  }

  for (const auto& setting : config::settings()) {
    auto* option = app.get_option(config::flag_name(setting.name));
    if (option->count() > 0) flags[setting.name] = values[setting.name];
  }
  auto config = config::load(flags, config::process_env(), config::read_dotenv_file(".env"));
  if (!config) {
    std::cerr << "rag-server: configuration error: " << config.error().message << "\n";
    return 2;
  }

  std::string chosen = "serve";
  for (auto* sub : app.get_subcommands()) chosen = sub->get_name();
  observability::set_redactions(config->secrets());
  if (chosen != "serve") observability::init_cli_logging(*config);  // serve adds its log file
  return runners.at(chosen)(*config);
}

}  // namespace rag::cli
