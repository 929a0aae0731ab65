// The subcommands of SPEC §1. Each file registers one subcommand on the CLI11 app and
// returns the function that runs it once the configuration is loaded.
#pragma once

#include <functional>

#include "config/config.hpp"

namespace CLI {
class App;
}

namespace rag::cli {

// Runs a subcommand with the loaded configuration; returns the process exit status.
using Runner = std::function<int(const config::Config&)>;

// Each returns the runner to call when its subcommand was chosen.
Runner add_serve_command(CLI::App& app);
Runner add_index_command(CLI::App& app);
Runner add_search_command(CLI::App& app);
Runner add_check_command(CLI::App& app);
Runner add_import_command(CLI::App& app);

}  // namespace rag::cli
