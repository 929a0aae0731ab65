// `rag-server check`: not implemented yet (says so and exits non-zero).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

namespace rag::cli {

Runner add_check_command(CLI::App& app) {
  auto* sub = app.add_subcommand("check", "validate the config, the index and upstream connectivity");
  sub->allow_extras();
  return [](const config::Config&) {
    std::cerr << "rag-server check: not implemented yet\n";
    return 3;
  };
}

}  // namespace rag::cli
