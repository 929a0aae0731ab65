// `rag-server search "QUERY" [-k N] [--json]`: opens the index read-only, runs the same
// retrieval as POST /search (hybrid when the index has vectors and an embeddings upstream is
// configured, else lexical), and prints citations (title, url, score, snippet) or, with
// --json, exactly the /search response body. Exit status: 0 (even with no results), 1 when the
// search fails, 2 when the index cannot be loaded.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "api/search_api.hpp"
#include "cli/commands.hpp"
#include "cli/local_search.hpp"
#include "common/timestamp.hpp"
#include "observability/logging.hpp"

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
                api::citation_text(hit.metadata.page_title, hit.metadata.citation_url).c_str(),
                hit.score, snippet(hit.content, 240).c_str());
  }
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
    auto local = LocalSearch::open(config, config.vector_db_path);
    if (!local) {
      std::cerr << "rag-server search: cannot load the index at "
                << config.vector_db_path.string() << ": " << local.error().message << "\n";
      return 2;
    }
    auto hits = (*local)->search(opts->query, opts->k);
    if (!hits) {
      std::cerr << "rag-server search: " << hits.error().message << "\n";
      return 1;
    }
    if (opts->json) {
      std::cout << api::search_response_body(*hits, opts->query, iso_timestamp()) << "\n";
    } else {
      print_hits(*hits, config.search_min_score);
    }
    return 0;
  };
}

}  // namespace rag::cli
