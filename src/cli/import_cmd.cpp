// `rag-server import-faiss DIR [--out PATH] [--force] [--model NAME]`: converts the Python
// design's index folder into this project's index (migrate/importer.hpp) and prints a one-line
// summary. The model recorded is --model, else the configured embeddings upstream's model
// name (so `serve` with the same configuration uses the imported vectors), else the one
// build_info.json names. Exit 0 on success, 2 on bad arguments or when DIR lacks the Python
// design's files, 1 when the files are refused (counts disagree, an unsafe pickle, a lossy FAISS
// type, an existing index without --force), 3 when the index cannot be written. Nothing is
// written unless the import succeeds. With HNSW_MIN_VECTORS vectors or more, the HNSW graph is
// stored last, as by `index`.
#include <utility>  // before any Boost.Asio header (Boost 1.74 under C++23)

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "migrate/importer.hpp"
#include "upstream/factory.hpp"

namespace rag::cli {
namespace {

struct ImportArgs {
  std::string dir;
  std::string out;
  std::string model;
  bool force = false;
};

// The model name the server's embeddings upstream would record and compare ("" when none).
std::string configured_model(const config::Config& config) {
  if (!config.has_embeddings_upstream()) return {};
  boost::asio::io_context io;  // never run: the embedder is only asked for its name
  auto embedder = upstream::make_embedder(config, io.get_executor());
  return embedder ? embedder->model_name() : std::string();
}

int exit_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return 2;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kCorrupt:
      return 1;
    default:
      return 3;
  }
}

}  // namespace

Runner add_import_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "import-faiss", "convert an index built by the Python design (FAISS) into this project's");
  auto args = std::make_shared<ImportArgs>();
  sub->add_option("DIR", args->dir,
                  "the Python design's index folder: vector.index, metadata.json, documents.pkl, "
                  "build_info.json")
      ->required();
  sub->add_option("--out", args->out, "index folder to write (default: VECTOR_DB_PATH)");
  sub->add_flag("--force", args->force, "replace an existing index");
  sub->add_option("--model", args->model,
                  "embedding model name to record (default: the configured embeddings "
                  "upstream's, else build_info.json's)");

  return [args](const config::Config& config) {
    migrate::ImportOptions options;
    options.source_dir = args->dir;
    options.out_dir = args->out.empty() ? config.vector_db_path : std::filesystem::path(args->out);
    options.force = args->force;
    options.model = args->model;
    if (options.model.empty()) options.configured_model = configured_model(config);
    auto summary = migrate::import_faiss(options);
    if (!summary) {
      std::cerr << "rag-server import-faiss: " << summary.error().message << "\n";
      return exit_code(summary.error().code);
    }
    std::cout << summary->describe() << std::endl;
    return update_search_files(config, options.out_dir, "import-faiss") ? 0 : 3;
  };
}

}  // namespace rag::cli
