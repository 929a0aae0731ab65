// `rag-server search`: not implemented yet (says so and exits non-zero).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

namespace rag::cli {

Runner add_search_command(CLI::App& app) {
  auto* sub = app.add_subcommand("search", "query the index from the shell and print citations");
  sub->allow_extras();
  return [](const config::Config&) {
    std::cerr << "rag-server search: not implemented yet\n";
    return 3;
  };
}

}  // namespace rag::cli
