// rag-reorder-cost LEXICAL_IDX QUERIES_JSONL [LIMIT=10] [ROUNDS=3] [LEAF=1024] [ITERATIONS=8]
//   [own|shuffled|shuffled-only]: how much the order of the chunks matters to the lexical top-k
// (bench/scale/RESULTS.md, "stop 40"). Maps a lexical.idx as rag-query-cost does, renumbers its
// chunks, rebuilds every list and its blocks in the new order, and times Bm25Index::search on
// both, alternating rounds. The new order: recursive graph bisection (Dhulipala et al. 2016, as
// PISA reorders its indexes: halves of LEAF chunks or more, ITERATIONS swap rounds a level, the
// log-gap cost) from the chunks' own order (`own`) or from a shuffled one (`shuffled`), or the
// shuffled order alone (`shuffled-only`). Prints the log-gap bits a posting before and after
// (what bisection lowers), how many queries' results differ (ties between equal scores may swap
// chunks; the scores must not differ), and the two costs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench_inputs.hpp"

namespace retrieval = rag::retrieval;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Forward {  // doc → its terms (CSR), terms of df >= 2 only
  std::vector<std::uint64_t> start;
  std::vector<std::uint32_t> terms;
};

class Bisection {
 public:
  Bisection(const Forward& fwd, std::size_t term_count, std::size_t leaf, int iterations)
      : fwd_(fwd),
        leaf_(leaf),
        iterations_(iterations),
        left_(term_count),
        right_(term_count),
        gain_left_(term_count),
        gain_right_(term_count),
        seen_(term_count) {
    log_.resize(fwd.start.size() + 2);
    for (std::size_t i = 1; i < log_.size(); ++i) log_[i] = static_cast<float>(std::log2(i));
  }

  void run(std::vector<std::uint32_t>& docs) { split(docs.data(), docs.size()); }

 private:
  // cost of `deg` docs of n holding a term: deg · log2(n / (deg + 1)), log-gap estimate
  float cost(std::uint32_t deg, std::size_t n) const {
    return static_cast<float>(deg) * (log_[n] - log_[deg + 1]);
  }

  void split(std::uint32_t* docs, std::size_t n) {
    if (n <= leaf_) return;
    const std::size_t nl = n / 2, nr = n - nl;
    std::uint32_t* l = docs;
    std::uint32_t* r = docs + nl;
    std::vector<std::pair<float, std::uint32_t>> gl(nl), gr(nr);
    for (int it = 0; it < iterations_; ++it) {
      for (std::size_t i = 0; i < nl; ++i) each(l[i], [&](std::uint32_t t) { ++left_[t]; });
      for (std::size_t i = 0; i < nr; ++i) each(r[i], [&](std::uint32_t t) { ++right_[t]; });
      const auto gains = [&](std::uint32_t t) {
        if (seen_[t]) return;
        seen_[t] = 1;
        const auto a = left_[t], b = right_[t];
        const float before = cost(a, nl) + cost(b, nr);
        gain_left_[t] = a > 0 ? before - (cost(a - 1, nl) + cost(b + 1, nr)) : 0;
        gain_right_[t] = b > 0 ? before - (cost(a + 1, nl) + cost(b - 1, nr)) : 0;
      };
      for (std::size_t i = 0; i < n; ++i) each(docs[i], gains);
      for (std::size_t i = 0; i < nl; ++i) {
        float g = 0;
        each(l[i], [&](std::uint32_t t) { g += gain_left_[t]; });
        gl[i] = {g, l[i]};
      }
      for (std::size_t i = 0; i < nr; ++i) {
        float g = 0;
        each(r[i], [&](std::uint32_t t) { g += gain_right_[t]; });
        gr[i] = {g, r[i]};
      }
      for (std::size_t i = 0; i < n; ++i) {
        each(docs[i], [&](std::uint32_t t) { left_[t] = right_[t] = 0, seen_[t] = 0; });
      }
      std::ranges::sort(gl, std::greater<>());
      std::ranges::sort(gr, std::greater<>());
      std::size_t swaps = 0;
      for (std::size_t i = 0; i < nl && i < nr && gl[i].first + gr[i].first > 0; ++i) {
        std::swap(gl[i].second, gr[i].second);
        ++swaps;
      }
      for (std::size_t i = 0; i < nl; ++i) l[i] = gl[i].second;
      for (std::size_t i = 0; i < nr; ++i) r[i] = gr[i].second;
      if (swaps == 0) break;
    }
    split(l, nl);
    split(r, nr);
  }

  template <class F>
  void each(std::uint32_t doc, F&& f) const {
    for (auto i = fwd_.start[doc]; i < fwd_.start[doc + 1]; ++i) f(fwd_.terms[i]);
  }

  const Forward& fwd_;
  std::size_t leaf_;
  int iterations_;
  std::vector<std::uint32_t> left_, right_;
  std::vector<float> gain_left_, gain_right_;
  std::vector<std::uint8_t> seen_;
  std::vector<float> log_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: rag-reorder-cost LEXICAL_IDX QUERIES_JSONL [LIMIT] [ROUNDS] [LEAF] "
                 "[ITERATIONS] [own|shuffled|shuffled-only]\n");
    return 2;
  }
  const std::size_t limit = argc > 3 ? std::stoul(argv[3]) : 10;
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 3;
  const std::size_t leaf = argc > 5 ? std::stoul(argv[5]) : 1024;
  const int iterations = argc > 6 ? std::stoi(argv[6]) : 8;
  const auto index = rag::bench::open_lexical_index(argv[1]);
  if (!index) return 1;
  const auto queries = rag::bench::query_terms_of(argv[2]);
  const auto& bm25 = index->bm25();
  const auto& parts = bm25.parts();
  const std::size_t docs = parts.doc_count;
  auto t0 = Clock::now();
  Forward fwd;
  fwd.start.assign(docs + 1, 0);
  for (const auto& term : parts.terms) {
    if (term.count < 2) continue;
    for (auto i = term.first; i < term.first + term.count; ++i)
      ++fwd.start[parts.postings[i].doc + 1];
  }
  for (std::size_t d = 0; d < docs; ++d) fwd.start[d + 1] += fwd.start[d];
  fwd.terms.resize(fwd.start[docs]);
  {
    std::vector<std::uint64_t> fill(fwd.start.begin(), fwd.start.end() - 1);
    for (std::uint32_t t = 0; t < parts.terms.size(); ++t) {
      const auto& term = parts.terms[t];
      if (term.count < 2) continue;
      for (auto i = term.first; i < term.first + term.count; ++i) {
        fwd.terms[fill[parts.postings[i].doc]++] = t;
      }
    }
  }
  std::fprintf(stderr, "forward index: %zu postings, %.1f s\n", fwd.terms.size(),
               seconds_since(t0));
  t0 = Clock::now();
  std::vector<std::uint32_t> order(docs);
  std::iota(order.begin(), order.end(), 0);
  const std::string start_from = argc > 7 ? argv[7] : "own";  // own | shuffled | shuffled-only
  if (start_from != "own") std::shuffle(order.begin(), order.end(), std::mt19937(7));
  if (start_from != "shuffled-only")
    Bisection(fwd, parts.terms.size(), leaf, iterations).run(order);
  std::fprintf(stderr, "bisection: %.1f s\n", seconds_since(t0));
  std::vector<std::uint32_t> new_id(docs);
  for (std::uint32_t i = 0; i < docs; ++i) new_id[order[i]] = i;
  // The same index with every posting renumbered, each list sorted again, blocks rebuilt.
  t0 = Clock::now();
  auto postings = std::make_shared<std::vector<retrieval::Bm25Posting>>(parts.postings.size());
  auto blocks = std::make_shared<std::vector<retrieval::Bm25Block>>(parts.blocks.size());
  for (const auto& term : parts.terms) {
    auto* out = postings->data() + term.first;
    for (std::uint32_t i = 0; i < term.count; ++i) {
      const auto& p = parts.postings[term.first + i];
      out[i] = {new_id[p.doc], p.tf};
    }
    std::sort(out, out + term.count, [](const auto& a, const auto& b) { return a.doc < b.doc; });
    for (std::uint64_t b = 0; b < retrieval::bm25_block_count(term.count); ++b) {
      float most = 0;
      const auto from = b * retrieval::kBm25Block;
      const auto to = std::min<std::uint64_t>(term.count, from + retrieval::kBm25Block);
      for (auto i = from; i < to; ++i) most = std::max(most, out[i].tf);
      (*blocks)[term.first_block + b] = {out[to - 1].doc, most};
    }
  }
  // The log-gap cost (bits a gap coder would spend), before and after: what bisection lowers.
  const auto gap_bits = [&](std::span<const retrieval::Bm25Posting> all) {
    double bits = 0;
    for (const auto& term : parts.terms) {
      std::uint32_t last = 0;
      for (std::uint32_t i = 0; i < term.count; ++i) {
        const auto doc = all[term.first + i].doc;
        bits += std::log2(static_cast<double>(doc - last) + 1);
        last = doc;
      }
    }
    return bits / static_cast<double>(all.size());
  };
  std::printf("log-gap bits a posting: own order %.3f, new order %.3f\n", gap_bits(parts.postings),
              gap_bits(*postings));
  retrieval::Bm25Parts reordered = parts;
  reordered.postings = *postings;
  reordered.blocks = *blocks;
  auto keep = std::make_shared<std::pair<decltype(postings), decltype(blocks)>>(postings, blocks);
  auto other = retrieval::Bm25Index::view(reordered, keep);
  if (!other) {
    std::fprintf(stderr, "%s\n", other.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "renumbered: %.1f s\n", seconds_since(t0));
  // Same answers: each query's scores equal, and its chunks the same (in old ids).
  std::size_t differ = 0, scores_differ = 0;
  for (const auto& q : queries) {
    auto a = bm25.search(q, limit);
    auto b = other->search(q, limit);
    if (a.size() != b.size()) {
      ++scores_differ;
      continue;
    }
    bool d = false, s = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].score != b[i].score) s = true;
      if (new_id[a[i].doc] != b[i].doc) d = true;
    }
    differ += d;
    scores_differ += s;
  }
  std::printf("queries whose chunks differ: %zu, whose scores differ: %zu, of %zu\n", differ,
              scores_differ, queries.size());
  std::size_t results = 0;  // printed, so that no search is optimised away
  const auto time = [&](const retrieval::Bm25Index& idx) {
    const auto start = Clock::now();
    for (const auto& q : queries) results += idx.search(q, limit).size();
    return seconds_since(start) * 1e6 / static_cast<double>(queries.size());
  };
  std::vector<double> before, after;
  for (int r = 0; r < rounds; ++r) {
    before.push_back(time(bm25));
    after.push_back(time(*other));
  }
  std::ranges::sort(before);
  std::ranges::sort(after);
  std::printf(
      "own order: %.1f us/query; new order: %.1f us/query (medians of %d rounds, %zu results)\n",
      before[before.size() / 2], after[after.size() / 2], rounds, results);
  return 0;
}
