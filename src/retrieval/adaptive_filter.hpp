// The Python design's adaptive result filter (src/retrieval/README.md), as a pure function.
//
// Reading of the Python design's rule ("fetch 3k candidates, drop those under SEARCH_MIN_SCORE,
// keep those at least half the best score, at most k, always the best one"):
//   1. candidates under the absolute floor `min_score` are dropped;
//   2. `best` = the highest score among the survivors; survivors under best * relative are
//      dropped, except the first-ranked survivor, which is always kept ("always the best one");
//   3. at most k are kept, in rank order.
// With a single retriever the ranking is by score, so the first-ranked survivor is the best
// score and this is exactly the Python design's filter. With fusion, the ranking is the fused
// one and the first-ranked survivor is kept even when its cosine is under half the best.
// "Always the best one" is NOT "keep one even if it is under the floor": docs/api.md says that when
// no passage is above the thresholds the chat refuses without calling the LLM, which needs an
// empty result then.
// Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace rag::retrieval {

struct FilterOptions {
  double min_score = 0.3;  // SEARCH_MIN_SCORE
  double relative = 0.5;   // keep scores >= best * relative
};

struct Candidate {
  std::uint32_t id = 0;
  double score = 0;  // the reported score in [0, 1]
};

// `ranked` is best first by the retrieval's ranking; returns at most k, in the same order.
std::vector<Candidate> adaptive_filter(const std::vector<Candidate>& ranked, std::size_t k,
                                       const FilterOptions& options = {});

}  // namespace rag::retrieval
