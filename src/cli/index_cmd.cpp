// `rag-server index PATH...`: builds or incrementally updates the index in VECTOR_DB_PATH.
// Splitter parameters are flags; when an embeddings upstream is configured, chunks lacking a
// vector are embedded (EMBED_BATCH_SIZE per request, EMBED_CONCURRENCY in flight) on a local
// io_context, else the index is lexical only. Last, the lexical index files are stored
// (retrieval/lexical_file.hpp: the changes since the base when few documents changed) and, from
// HNSW_MIN_VECTORS vectors, the vector index (retrieval/stored_graph.hpp). The whole run holds
// the folder's run lock (store/run_lock.hpp). Exit 0 on success (files that fail to load are
// reported and skipped), 1 when embedding failed (the lexical index is saved), 2 on bad
// arguments or a missing PATH, 3 when the index or a file derived from it cannot be written,
// or another run holds the folder.
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <utility>

#include <algorithm>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "ingest/indexer.hpp"
#include "ingest/progress.hpp"
#include "retrieval/lexical_file.hpp"
#include "retrieval/options.hpp"
#include "retrieval/stored_graph.hpp"
#include "store/run_lock.hpp"
#include "upstream/factory.hpp"

namespace rag::cli {

Runner add_index_command(CLI::App& app) {
  auto* sub =
      app.add_subcommand("index", "build or incrementally update the index from files and folders");
  auto opts = std::make_shared<ingest::IndexOptions>();
  auto paths = std::make_shared<std::vector<std::string>>();
  sub->add_option("PATH", *paths, "files and folders to index (folders recursively)")->required();
  sub->add_option("--exclude", opts->exclude,
                  "skip entries matching this glob under a PATH folder: a name (\"*.pdf\", "
                  "\"drafts\") or a path relative to the folder (\"guides/old/*\"); repeatable")
      ->allow_extra_args(false)  // one glob per --exclude: what follows it is a PATH again
      ->take_all();
  sub->add_option("--chunk-paragraphs", opts->split.chunk_paragraphs, "paragraphs per chunk")
      ->capture_default_str();
  sub->add_option("--chunk-overlap", opts->split.chunk_overlap,
                  "paragraphs shared by neighbouring chunks")
      ->capture_default_str();
  sub->add_option("--min-paragraph-chars", opts->split.min_paragraph_chars,
                  "shorter paragraphs are dropped")
      ->capture_default_str();
  sub->add_option("--chunk-max-chars", opts->split.chunk_max_chars,
                  "longer paragraphs are cut at sentence ends")
      ->capture_default_str();

  return [opts, paths](const config::Config& config) {
    ingest::IndexOptions options = *opts;
    options.paths.assign(paths->begin(), paths->end());
    options.vector_db_path = config.vector_db_path;
    options.embed_batch_size = config.embed_batch_size;
    options.embed_concurrency = config.embed_concurrency;

    boost::asio::io_context io;
    std::unique_ptr<upstream::Embedder> embedder;
    if (config.has_embeddings_upstream()) {
      embedder = upstream::make_embedder(config, io.get_executor());
    }
    if (!embedder) spdlog::info("no embeddings upstream configured: building a lexical-only index");

    // Held until the last derived file is stored: the server does not reload meanwhile.
    auto lock = store::IndexRunLock::acquire(config.vector_db_path);
    if (!lock) {
      spdlog::error("rag-server index: {}", lock.error().message);
      std::cerr << "rag-server index: " << lock.error().message << "\n";
      return 3;
    }
    ingest::ConsoleProgress progress(::isatty(STDERR_FILENO) == 1);
    auto summary = ingest::run_index(options, {embedder.get(), embedder ? &io : nullptr}, progress);
    if (!summary) {
      spdlog::error("rag-server index: {}", summary.error().message);
      std::cerr << "rag-server index: " << summary.error().message << "\n";
      const auto code = summary.error().code;
      return code == ErrorCode::kNotFound || code == ErrorCode::kInvalidArgument ? 2 : 3;
    }
    spdlog::info("{}", summary->describe());
    // Even when embedding stopped half way: the server then searches what is embedded.
    const bool stored = update_search_files(config, config.vector_db_path, "index");
    if (!summary->embedding_error.empty()) {
      std::cerr << "rag-server index: embedding failed: " << summary->embedding_error
                << " (the lexical index is saved; run again to add the missing vectors)\n";
      return 1;
    }
    return stored ? 0 : 3;
  };
}

namespace {

// Logs and prints why a file derived from the index could not be stored, and what the server
// does meanwhile. False, for the caller to return.
bool not_stored(std::string_view command, std::string_view what, const Error& error,
                std::string_view meanwhile) {
  spdlog::error("rag-server {}: cannot store the {}: {}", command, what, error.message);
  std::cerr << "rag-server " << command << ": cannot store the " << what << ": " << error.message
            << " (" << meanwhile << ")\n";
  return false;
}

}  // namespace

bool update_search_files(const config::Config& config, const std::filesystem::path& dir,
                         std::string_view command) {
  if (auto lexical = retrieval::update_lexical_index(dir); !lexical) {
    return not_stored(command, "lexical index", lexical.error(),
                      "the server builds it in memory until it is stored");
  }
  auto options = retrieval::snapshot_options(config).vectors;
  options.build_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (auto graph = retrieval::update_stored_graph(dir, options); !graph) {
    return not_stored(command, "vector index", graph.error(),
                      "the server searches exactly until it is stored");
  }
  return true;
}

}  // namespace rag::cli
