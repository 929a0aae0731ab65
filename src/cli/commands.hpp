// The subcommands of docs/index.md. Each file registers one subcommand on the CLI11 app and
// returns the function that runs it once the configuration is loaded.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.hpp"
#include "config/config.hpp"

namespace CLI {
class App;
}

namespace rag::cli {

// Runs a subcommand with the loaded configuration; returns the process exit status.
using Runner = std::function<int(const config::Config&)>;

// Parses the command line and the configuration, then runs the chosen subcommand.
int run(int argc, char** argv, app::TestHooks test_hooks = {});

// Each returns the runner to call when its subcommand was chosen.
Runner add_serve_command(CLI::App& app, rag::app::TestHooks test_hooks);
Runner add_index_command(CLI::App& app);
Runner add_search_command(CLI::App& app);
Runner add_check_command(CLI::App& app);
Runner add_import_command(CLI::App& app);
Runner add_eval_command(CLI::App& app);
Runner add_report_command(CLI::App& app);

// The last step of `index` and `import-faiss`: stores or refreshes the lexical index file
// (retrieval/lexical_file.hpp), then stores, refreshes or removes the HNSW graph of the index in
// `dir` (retrieval/stored_graph.hpp). False after printing why to stderr as
// `rag-server COMMAND: ...`.
bool update_search_files(const config::Config& config, const std::filesystem::path& dir,
                         std::string_view command);

}  // namespace rag::cli
