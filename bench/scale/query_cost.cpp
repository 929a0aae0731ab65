// rag-query-cost LEXICAL_IDX QUERIES_JSONL [LIMIT=30] [ROUNDS=5] [exhaustive|dump|each]: the cost
// of the lexical top-k alone, without HTTP, JSON or hits: maps a lexical.idx that `rag-server
// index` wrote, turns each query of a BEIR queries.jsonl ("text") into its terms as the server
// does, and times Bm25Index::search over all of them, ROUNDS times. Prints the median over rounds
// of the mean microseconds per query, the queries' p50 and p99 (from the median round), and the
// postings their terms hold. `exhaustive` times scoring every matching chunk instead (the
// search before dynamic pruning), for the ratio. `dump` prints every result instead (query,
// chunk, score to 17 digits): two builds give the same answers when their dumps are equal.
// `each` also prints each query's microseconds in the median round, with its number of distinct
// terms (how the cost spreads). The first round also pays the page faults of a fresh map, which a
// running server pays once: use ROUNDS >= 3.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_inputs.hpp"

namespace retrieval = rag::retrieval;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: rag-query-cost LEXICAL_IDX QUERIES_JSONL [LIMIT] [ROUNDS] "
                 "[exhaustive|dump|each]\n");
    return 2;
  }
  const std::size_t limit = argc > 3 ? std::stoul(argv[3]) : 30;
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 5;
  const auto index = rag::bench::open_lexical_index(argv[1]);
  if (!index) return 1;
  auto queries = rag::bench::query_terms_of(argv[2]);
  const auto& bm25 = index->bm25();
  const auto& parts = bm25.parts();
  // Each query's unique terms as postings ranges, for the exhaustive reference and the count.
  const auto range_of = [&](const std::string& term) -> const retrieval::Bm25Term* {
    const auto name = [&](std::size_t i) {
      return std::string_view(parts.term_bytes.data() + parts.term_offsets[i],
                              parts.term_offsets[i + 1] - parts.term_offsets[i]);
    };
    std::size_t low = 0, high = parts.terms.size();
    while (low < high) {
      const std::size_t mid = (low + high) / 2;
      if (name(mid) < term)
        low = mid + 1;
      else
        high = mid;
    }
    return low < parts.terms.size() && name(low) == term ? &parts.terms[low] : nullptr;
  };
  std::size_t postings = 0;
  for (auto& q : queries) {
    std::ranges::sort(q);
    q.erase(std::unique(q.begin(), q.end()), q.end());
    for (const auto& t : q) {
      if (const auto* r = range_of(t)) postings += r->count;
    }
  }
  const std::string mode = argc > 5 ? argv[5] : "";
  if (mode == "dump") {  // every result, to compare two builds' answers with cmp
    for (std::size_t i = 0; i < queries.size(); ++i) {
      for (const auto& hit : bm25.search(queries[i], limit)) {
        std::printf("%zu %u %.17g\n", i, hit.doc, hit.score);
      }
    }
    return 0;
  }
  const bool exhaustive = mode == "exhaustive";
  // Scoring every matching chunk into a dense accumulator (the search before pruning).
  const auto score_all = [&](const std::vector<std::string>& q) {
    std::vector<double> acc(bm25.size(), 0.0);
    const double k1 = parts.k1;
    for (const auto& t : q) {
      const auto* r = range_of(t);
      if (!r) continue;
      const double w = bm25.idf(t) * (k1 + 1);
      for (auto i = r->first; i < r->first + r->count; ++i) {
        const auto& p = parts.postings[i];
        acc[p.doc] += w * p.tf / (k1 + p.tf);
      }
    }
    std::vector<retrieval::ScoredDoc> hits;
    for (std::uint32_t d = 0; d < acc.size(); ++d) {
      if (acc[d] > 0) hits.push_back({d, acc[d]});
    }
    const auto n = std::min(limit, hits.size());
    std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(),
                      [](const auto& a, const auto& b) { return a.score > b.score; });
    hits.resize(n);
    return hits;
  };
  std::vector<double> means;
  std::vector<double> median_round;
  std::size_t results = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<double> each;
    for (const auto& q : queries) {
      const auto start = std::chrono::steady_clock::now();
      results += exhaustive ? score_all(q).size() : bm25.search(q, limit).size();
      each.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count());
    }
    double sum = 0;
    for (const double x : each) sum += x;
    means.push_back(sum / static_cast<double>(each.size()));
    if (r == rounds / 2) median_round = each;
  }
  if (mode == "each") {  // "query <i> terms <n> us <x>", in query order
    for (std::size_t i = 0; i < queries.size(); ++i) {
      std::printf("query %zu terms %zu us %.1f\n", i, queries[i].size(), median_round[i]);
    }
  }
  std::ranges::sort(means);
  std::ranges::sort(median_round);
  const auto at = [&](double q) {
    return median_round[static_cast<std::size_t>(q * static_cast<double>(median_round.size() - 1))];
  };
  std::printf(
      "%s: %zu chunks, %zu queries, limit %zu: mean %.1f us/query (median of %d "
      "rounds), p50 %.1f us, p99 %.1f us, %zu results, %.0f postings/query\n",
      exhaustive ? "every matching chunk scored" : "Bm25Index::search", index->size(),
      queries.size(), limit, means[means.size() / 2], rounds, at(0.5), at(0.99),
      results / static_cast<std::size_t>(rounds),
      static_cast<double>(postings) / static_cast<double>(queries.size()));
  return 0;
}
