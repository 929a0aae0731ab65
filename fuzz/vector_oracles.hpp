// What the vector index fuzz targets (vector_changes, vector_index_file) check of an index they
// loaded: searches and similarities that stay within it.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "fuzz_target.hpp"
#include "retrieval/vector_index.hpp"

namespace rag::fuzz {

// `count` vectors of `dimension` normal floats, row-major, the same for the same seed.
inline std::vector<float> normal_vectors(std::size_t count, int dimension, unsigned seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> normal;
  std::vector<float> out(count * static_cast<std::size_t>(dimension));
  for (auto& x : out) x = normal(random);
  return out;
}

// Three queries, each searched for 1, 5 and more hits than the index holds: hits name vectors
// that exist, at most as many as asked, best first; and each vector's similarity to each query
// is finite.
inline void check_searches(const retrieval::VectorIndex& index, int dimension) {
  const auto d = static_cast<std::size_t>(dimension);
  const auto queries = normal_vectors(3, dimension, 3);
  for (std::size_t q = 0; q < 3; ++q) {
    std::vector<float> query(queries.begin() + static_cast<std::ptrdiff_t>(q * d),
                             queries.begin() + static_cast<std::ptrdiff_t>((q + 1) * d));
    for (const std::size_t limit : {std::size_t{1}, std::size_t{5}, index.size() + 3}) {
      auto hits = index.search(query, limit);
      check(hits.has_value(), "a search failed");
      check(hits->size() <= limit, "more hits than asked");
      for (std::size_t i = 0; i < hits->size(); ++i) {
        const auto& hit = (*hits)[i];
        check(hit.id >= 0 && static_cast<std::size_t>(hit.id) < index.size(), "a hit of no vector");
        check(i == 0 || (*hits)[i - 1].similarity >= hit.similarity, "hits out of order");
      }
    }
    retrieval::VectorIndex::normalise(query.data(), dimension);
    for (std::size_t id = 0; id < index.size(); ++id) {
      check(std::isfinite(index.similarity(query, static_cast<std::int64_t>(id))),
            "a similarity that is not finite");
    }
  }
}

}  // namespace rag::fuzz
