// `rag-server search "QUERY" [-k N] [--json]`: opens the index read-only, runs the same
// retrieval as POST /search (hybrid when the index has vectors and an embeddings upstream is
// configured, else lexical), and prints citations (title, url, score, snippet) or, with
// --json, exactly the /search response body. Exit status: 0 (even with no results), 1 when the
// search fails, 2 when the index cannot be loaded.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "api/search_api.hpp"
#include "cli/commands.hpp"
#include "observability/logging.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/searcher.hpp"
#include "retrieval/stored_graph.hpp"
#include "store/index_reader.hpp"
#include "upstream/factory.hpp"

namespace rag::cli {
namespace {

struct SearchOptions {
  std::string query;
  int k = api::kDefaultSearchK;
  bool json = false;
};

// Whitespace collapsed, cut after about `max_bytes` at a character boundary, "…" when cut.
std::string snippet(const std::string& text, std::size_t max_bytes) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && out.size() >= max_bytes) {
      out += "…";
      break;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

void print_hits(const std::vector<retrieval::Hit>& hits, double min_score) {
  if (hits.empty()) {
    std::printf("No passage scored above SEARCH_MIN_SCORE (%.2f).\n", min_score);
    return;
  }
  int n = 0;
  for (const auto& hit : hits) {
    std::printf("%d. %s  [score %.3f]\n   %s\n\n", ++n,
                api::citation_text(hit.page_title, hit.citation_url).c_str(), hit.score,
                snippet(hit.content, 240).c_str());
  }
}

Result<std::vector<retrieval::Hit>> run_search(const config::Config& config,
                                               const retrieval::LiveIndex& live,
                                               const SearchOptions& opts) {
  boost::asio::io_context ctx;
  std::shared_ptr<upstream::Embedder> embedder;
  if (config.has_embeddings_upstream() && live.current()->has_vectors()) {
    embedder = upstream::make_embedder(config, ctx.get_executor());
  }
  if (!embedder) {
    return retrieval::Searcher(live, nullptr, nullptr).search_lexical(opts.query, opts.k);
  }
  retrieval::Searcher searcher(live, embedder, nullptr);
  std::optional<Result<std::vector<retrieval::Hit>>> result;
  boost::asio::co_spawn(ctx, searcher.search(opts.query, opts.k, make_cancel_token()),
                        [&](std::exception_ptr e, Result<std::vector<retrieval::Hit>> r) {
                          if (e) {
                            result = fail(ErrorCode::kInternal, "search failed");
                          } else {
                            result = std::move(r);
                          }
                        });
  ctx.run();
  return std::move(*result);
}

}  // namespace

Runner add_search_command(CLI::App& app) {
  auto* sub = app.add_subcommand("search", "query the index from the shell and print citations");
  auto opts = std::make_shared<SearchOptions>();
  sub->add_option("query", opts->query, "the question or keywords")->required();
  sub->add_option("-k", opts->k, "how many results at most (1-50)")
      ->check(CLI::Range(1, api::kMaxSearchK));
  sub->add_flag("--json", opts->json, "print the POST /search response body instead");
  return [opts](const config::Config& config) {
    retrieval::SnapshotOptions options;
    options.filter.min_score = config.search_min_score;
    options.vectors.hnsw_threshold = config.hnsw_min_vectors;
    options.graph_file = retrieval::graph_path(config.vector_db_path);
    const auto path = config.vector_db_path;
    retrieval::LiveIndex live([path] { return store::IndexReader::open(path); }, options);
    if (auto loaded = live.reload(); !loaded) {
      std::cerr << "rag-server search: cannot load the index at " << path.string() << ": "
                << loaded.error().message << "\n";
      return 2;
    }
    auto hits = run_search(config, live, *opts);
    if (!hits) {
      std::cerr << "rag-server search: " << hits.error().message << "\n";
      return 1;
    }
    if (opts->json) {
      std::cout << api::search_response_body(*hits, opts->query, observability::iso_timestamp()) << "\n";
    } else {
      print_hits(*hits, config.search_min_score);
    }
    return 0;
  };
}

}  // namespace rag::cli
