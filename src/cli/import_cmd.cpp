// `rag-server import-faiss`: not implemented yet (says so and exits non-zero).
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

namespace rag::cli {

Runner add_import_command(CLI::App& app) {
  auto* sub = app.add_subcommand("import-faiss", "convert an index built by the Python design (FAISS) into this project's");
  sub->allow_extras();
  return [](const config::Config&) {
    std::cerr << "rag-server import-faiss: not implemented yet\n";
    return 3;
  };
}

}  // namespace rag::cli
