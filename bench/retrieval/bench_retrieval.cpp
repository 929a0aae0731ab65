// Retrieval benchmarks. Usage:
//   bench_retrieval faiss    [N=100000] [DIM=1536] [QUERIES=300] [exact]  (exact: skip HNSW)
//   bench_retrieval snapshot [CHUNKS=20000] [DIM=1536]
//   bench_retrieval lexical  [FOLDER=/usr/share/doc] [QUERIES=2000] [MAX_CHUNKS=200000]
// Latencies are per query on one thread (OpenMP pinned to 1 thread, as the server does).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>

#include <unistd.h>

#include "corpus.hpp"
#include "retrieval/snapshot.hpp"
#include "retrieval/tokenizer.hpp"
#include "retrieval/vector_index.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using rag::retrieval::Snapshot;
using rag::retrieval::VectorIndex;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Stats {
  double median_ms, p99_ms, mean_ms;
};
Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double m : ms) sum += m;
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], sum / ms.size()};
}

std::size_t arg(int argc, char** argv, int i, std::size_t fallback) {
  return argc > i ? std::strtoull(argv[i], nullptr, 10) : fallback;
}

// What `rag-server index` stores and `serve` loads instead of building (stored_graph.hpp).
void bench_stored_graph(const VectorIndex& index, std::size_t n, int dim) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("bench_retrieval_" + std::to_string(::getpid()) + ".hnsw");
  auto start = Clock::now();
  auto saved = index.save(file, "bench");
  const double save_s = seconds_since(start);
  start = Clock::now();
  auto loaded = VectorIndex::load(file, "bench", dim);
  const double load_s = seconds_since(start);
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(file, ec);
  std::filesystem::remove(file, ec);
  if (!saved || !loaded) {
    std::fprintf(stderr, "stored graph failed: %s\n",
                 (!saved ? saved.error() : loaded.error()).message.c_str());
    return;
  }
  std::printf("stored graph       save %.2f s | load %.2f s | file %.1f MB\n", save_s, load_s,
              bytes / 1e6);
}

int bench_faiss(std::size_t n, int dim, std::size_t queries, bool exact_only) {
  std::mt19937 rng(42);
  std::printf("generating %zu x %d random unit vectors...\n", n, dim);
  auto data = rag::bench::random_unit_vectors(n, dim, rng);
  // Queries: stored vectors plus noise, so each has a true near neighbour.
  std::normal_distribution<float> noise(0, 0.02f);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::vector<std::vector<float>> qs(queries);
  for (auto& q : qs) {
    const std::size_t i = pick(rng);
    q.assign(data.begin() + i * dim, data.begin() + (i + 1) * dim);
    for (auto& x : q) x += noise(rng);
  }
  const std::size_t k = 15;  // 3 x the default k of 5
  std::vector<std::vector<std::int64_t>> exact_ids;
  for (bool hnsw : {false, true}) {
    if (hnsw && exact_only) break;
    rag::retrieval::VectorIndexOptions options;
    options.kind =
        hnsw ? rag::retrieval::VectorIndexKind::kHnsw : rag::retrieval::VectorIndexKind::kExact;
    std::printf("building %s...\n", hnsw ? "HNSW" : "exact");
    auto start = Clock::now();
    auto index = VectorIndex::build(data, n, dim, options);
    if (!index) {
      std::fprintf(stderr, "build failed: %s\n", index.error().message.c_str());
      return 1;
    }
    const double build_s = seconds_since(start);
    std::vector<double> ms;
    std::size_t recall_hits = 0, top1_hits = 0;
    for (std::size_t qi = 0; qi < qs.size(); ++qi) {
      auto t = Clock::now();
      auto hits = (*index)->search(qs[qi], k);
      ms.push_back(seconds_since(t) * 1000);
      std::vector<std::int64_t> ids;
      for (const auto& h : *hits) ids.push_back(h.id);
      if (!hnsw) {
        exact_ids.push_back(ids);
      } else {
        if (!ids.empty() && ids[0] == exact_ids[qi][0]) ++top1_hits;
        std::set<std::int64_t> truth(exact_ids[qi].begin(), exact_ids[qi].begin() + 10);
        for (std::size_t j = 0; j < std::min<std::size_t>(10, ids.size()); ++j) {
          recall_hits += truth.count(ids[j]);
        }
      }
    }
    const auto s = stats(ms);
    std::printf("%-18s build %.1f s | per query (k=%zu, 1 thread): median %.2f ms, p99 %.2f ms, "
                "mean %.2f ms",
                hnsw ? "IndexHNSWFlat M=32" : "IndexFlatIP exact", build_s, k, s.median_ms,
                s.p99_ms, s.mean_ms);
    if (hnsw) {
      std::printf(" | vs exact: top-1 agreement %.3f, recall@10 %.3f",
                  double(top1_hits) / qs.size(), recall_hits / (10.0 * qs.size()));
    }
    std::printf("\n");
    if (hnsw) bench_stored_graph(**index, n, dim);
  }
  return 0;
}

int bench_snapshot(std::size_t chunks, int dim) {
  std::mt19937 rng(7);
  for (int d : {0, dim}) {
    auto corpus = rag::bench::synthetic_chunks(chunks, 150, d, rng);
    auto start = Clock::now();
    auto snap = Snapshot::build(std::move(corpus), {}, "bench");
    const double s = seconds_since(start);
    if (!snap) return 1;
    std::printf("snapshot build: %zu chunks x 150 words, %s: %.3f s\n", chunks,
                d ? (std::to_string(d) + "-d vectors (exact)").c_str() : "lexical only", s);
  }
  return 0;
}

int bench_lexical(const std::string& folder, std::size_t queries, std::size_t max_chunks) {
  auto start = Clock::now();
  auto corpus = rag::bench::folder_chunks(folder, max_chunks);
  std::printf("corpus: %zu chunks from %s (read in %.2f s)\n", corpus.size(), folder.c_str(),
              seconds_since(start));
  if (corpus.empty()) return 1;
  // Queries: 2-4 consecutive words from random chunks (natural phrases, some stop words).
  std::mt19937 rng(3);
  std::vector<std::string> qs;
  std::uniform_int_distribution<std::size_t> pick(0, corpus.size() - 1);
  while (qs.size() < queries) {
    auto words = rag::retrieval::split_words(corpus[pick(rng)].text);
    if (words.size() < 8) continue;
    std::uniform_int_distribution<std::size_t> at(0, words.size() - 5);
    const std::size_t i = at(rng), len = 2 + qs.size() % 3;
    std::string q;
    for (std::size_t j = 0; j < len; ++j) q += words[i + j] + " ";
    qs.push_back(q);
  }
  start = Clock::now();
  auto snap = Snapshot::build(std::move(corpus), {}, "bench");
  std::printf("snapshot build: %.3f s\n", seconds_since(start));
  if (!snap) return 1;
  std::vector<double> ms;
  std::size_t results = 0;
  for (const auto& q : qs) {
    auto t = Clock::now();
    auto hits = (*snap)->search(q, nullptr, 5);
    ms.push_back(seconds_since(t) * 1000);
    results += hits->size();
  }
  const auto s = stats(ms);
  std::printf("lexical search, k=5 (15 candidates), %zu queries: median %.3f ms, p99 %.3f ms, "
              "mean %.3f ms, %.2f results/query\n",
              qs.size(), s.median_ms, s.p99_ms, s.mean_ms, double(results) / qs.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line even into a file (long runs)
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "faiss") {
    return bench_faiss(arg(argc, argv, 2, 100000), static_cast<int>(arg(argc, argv, 3, 1536)),
                       arg(argc, argv, 4, 300), argc > 5 && std::string(argv[5]) == "exact");
  }
  if (mode == "snapshot") {
    return bench_snapshot(arg(argc, argv, 2, 20000), static_cast<int>(arg(argc, argv, 3, 1536)));
  }
  if (mode == "lexical") {
    return bench_lexical(argc > 2 ? argv[2] : "/usr/share/doc", arg(argc, argv, 3, 2000),
                         arg(argc, argv, 4, 200000));
  }
  std::fprintf(stderr, "usage: bench_retrieval faiss|snapshot|lexical [args] (see source)\n");
  return 2;
}
