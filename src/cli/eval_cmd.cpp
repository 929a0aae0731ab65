// `rag-server eval COLLECTION`: scores retrieval as the server does it (docs/eval.md). A BEIR
// folder's corpus is written out as pages and indexed into a temporary folder; a questions
// file is scored against the configured index, or against the files given with --corpus,
// indexed into a temporary folder. Each query runs through the same search as POST /search
// (lexical, or hybrid when the index has vectors and an embeddings upstream is configured;
// the adaptive filter and SEARCH_MIN_SCORE included) to --depth results. Prints nDCG@10,
// recall@5/@10/@100, MRR@10 and the share of queries with no result, or with --json all of
// it per query. Exit status: 0; 1 when a search fails; 2 on a bad collection or missing
// index; 3 when indexing the corpus fails.
#include <stdlib.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/eval_report.hpp"
#include "cli/local_search.hpp"
#include "eval/collection.hpp"
#include "eval/corpus_pages.hpp"
#include "eval/evaluator.hpp"
#include "ingest/indexer.hpp"
#include "ingest/progress.hpp"
#include "upstream/embedder.hpp"
#include "upstream/factory.hpp"

namespace rag::cli {
namespace {

namespace fs = std::filesystem;

struct EvalOptions {
  std::string collection;
  std::vector<std::string> corpus;
  std::string split;
  int depth = 100;
  bool json = false;
  bool lexical = false;
};

// A folder under TMPDIR removed with everything in it when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/rag-eval.XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Indexes `paths` into `dir`/index with the configured embeddings (unless `lexical`), as
// `rag-server index` would, search files included: the scores are those of what `serve` would
// search (the stored lexical index, and the approximate vector index VECTOR_INDEX asks for).
Result<fs::path> index_into(const config::Config& config, std::vector<fs::path> paths,
                            const fs::path& dir, bool lexical) {
  ingest::IndexOptions options;
  options.paths = std::move(paths);
  options.vector_db_path = dir / "index";
  options.embed_batch_size = config.embed_batch_size;
  options.embed_concurrency = config.embed_concurrency;
  boost::asio::io_context io;
  std::unique_ptr<upstream::Embedder> embedder;
  if (!lexical && config.has_embeddings_upstream()) {
    embedder = upstream::make_embedder(config, io.get_executor());
  }
  ingest::ConsoleProgress progress(::isatty(STDERR_FILENO) == 1);
  auto summary = ingest::run_index(options, {embedder.get(), embedder ? &io : nullptr}, progress);
  if (!summary) return std::unexpected(summary.error());
  if (!summary->embedding_error.empty()) {
    return fail(ErrorCode::kUpstream, "embedding failed: " + summary->embedding_error);
  }
  spdlog::info("{}", summary->describe());
  // Without them the scores are the same lexically, and vector search is exact (it logs why).
  update_search_files(config, options.vector_db_path, "eval");
  return options.vector_db_path;
}

int run_eval(const config::Config& config, const EvalOptions& opts) {
  auto collection = eval::load_collection(opts.collection, opts.split);
  if (!collection) {
    std::cerr << "rag-server eval: " << collection.error().message << "\n";
    return 2;
  }
  TempDir temp;
  fs::path index_dir = config.vector_db_path;
  std::vector<fs::path> corpus(opts.corpus.begin(), opts.corpus.end());
  if (!collection->corpus.empty() || !corpus.empty()) {
    if (temp.path().empty()) {
      std::cerr << "rag-server eval: cannot create a temporary folder\n";
      return 3;
    }
    if (!collection->corpus.empty()) {
      const fs::path pages = temp.path() / "pages";
      fs::create_directory(pages);
      auto written = eval::write_corpus_pages(collection->corpus, pages);
      if (!written) {
        std::cerr << "rag-server eval: " << written.error().message << "\n";
        return 2;
      }
      corpus = {pages};
    }
    auto indexed = index_into(config, corpus, temp.path(), opts.lexical);
    if (!indexed) {
      std::cerr << "rag-server eval: indexing the corpus failed: " << indexed.error().message
                << "\n";
      return 3;
    }
    index_dir = *indexed;
  }
  auto local = LocalSearch::open(config, index_dir, opts.lexical);
  if (!local) {
    std::cerr << "rag-server eval: cannot load the index at " << index_dir.string() << ": "
              << local.error().message << "\n";
    return 2;
  }
  ingest::ConsoleProgress progress(::isatty(STDERR_FILENO) == 1, "scoring");
  auto report = eval::evaluate(
      *collection, [&](const std::string& q) { return (*local)->search(q, opts.depth); },
      [&](std::size_t done, std::size_t total) { progress.update("queries", done, total, ""); });
  progress.done();
  if (!report) {
    std::cerr << "rag-server eval: " << report.error().message << "\n";
    return 1;
  }
  const EvalContext context{collection->name, (*local)->hybrid() ? "hybrid" : "lexical",
                            (*local)->snapshot().size(), opts.depth};
  std::cout << (opts.json ? report_json(*report, context) : report_text(*report, context));
  return 0;
}

}  // namespace

Runner add_eval_command(CLI::App& app) {
  auto* sub =
      app.add_subcommand("eval", "score retrieval on a BEIR-format collection or a questions file");
  auto opts = std::make_shared<EvalOptions>();
  sub->add_option("COLLECTION", opts->collection,
                  "a BEIR folder (corpus.jsonl, queries.jsonl, qrels/) or a questions file "
                  "(JSON lines: {\"question\": ..., \"pages\": [...]})")
      ->required();
  sub->add_option("--corpus", opts->corpus,
                  "index these files and folders into a temporary folder and score that "
                  "instead of VECTOR_DB_PATH (questions files)")
      ->allow_extra_args(false)
      ->take_all();
  sub->add_option("--split", opts->split, "BEIR qrels split (default: the only one, else test)");
  sub->add_option("--depth", opts->depth, "results per query (recall@100 needs 100)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  sub->add_flag("--lexical", opts->lexical, "lexical search even when vectors could be used");
  sub->add_flag("--json", opts->json, "print the summary and every query's ranking as JSON");
  return [opts](const config::Config& config) { return run_eval(config, *opts); };
}

}  // namespace rag::cli
