// Adaptive filter implementation (see adaptive_filter.hpp for the reading of the Python design's
// rule).
#include "retrieval/adaptive_filter.hpp"

#include <algorithm>

namespace rag::retrieval {

std::vector<Candidate> adaptive_filter(const std::vector<Candidate>& ranked, std::size_t k,
                                       const FilterOptions& options) {
  if (k == 0) return {};
  std::vector<Candidate> passed;
  for (const auto& c : ranked) {
    if (c.score >= options.min_score) passed.push_back(c);
  }
  if (passed.empty()) return {};
  double best = 0;
  for (const auto& c : passed) best = std::max(best, c.score);
  const double threshold = best * options.relative;
  std::vector<Candidate> out{passed.front()};  // the first-ranked survivor is always kept
  for (std::size_t i = 1; i < passed.size() && out.size() < k; ++i) {
    if (passed[i].score >= threshold) out.push_back(passed[i]);
  }
  return out;
}

}  // namespace rag::retrieval
