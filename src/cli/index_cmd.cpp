// `rag-server index`: not implemented yet (says so and exits non-zero).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

namespace rag::cli {

Runner add_index_command(CLI::App& app) {
  auto* sub = app.add_subcommand("index", "build or incrementally update the index from files and folders");
  sub->allow_extras();
  return [](const config::Config&) {
    std::cerr << "rag-server index: not implemented yet\n";
    return 3;
  };
}

}  // namespace rag::cli
