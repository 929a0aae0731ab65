// Fusion implementation (see fusion.hpp for the formulas).
#include "retrieval/fusion.hpp"

#include <algorithm>
#include <unordered_map>

namespace rag::retrieval {
namespace {

// Adds weight * contribution(list item, rank) to each document's fused score.
template <class Contribution>
void accumulate(const std::vector<RankedId>& list, double weight, Contribution contribution,
                std::unordered_map<std::uint32_t, double>& fused) {
  for (std::size_t rank = 0; rank < list.size(); ++rank) {
    fused[list[rank].id] += weight * contribution(list[rank], rank);
  }
}

void add_min_max(const std::vector<RankedId>& list, double weight,
                 std::unordered_map<std::uint32_t, double>& fused) {
  if (list.empty()) return;
  auto [lo, hi] = std::minmax_element(list.begin(), list.end(), [](auto& a, auto& b) {
    return a.score < b.score;
  });
  const double min = lo->score;
  const double range = hi->score - lo->score;
  accumulate(list, weight, [&](const RankedId& r, std::size_t) {
    return range > 0 ? (r.score - min) / range : 1.0;
  }, fused);
}

}  // namespace

std::vector<RankedId> fuse(const std::vector<RankedId>& lexical, const std::vector<RankedId>& dense,
                           const FusionOptions& options) {
  std::unordered_map<std::uint32_t, double> fused;
  if (options.method == FusionMethod::kReciprocalRank) {
    const auto rrf = [&](const RankedId&, std::size_t rank) {
      return 1.0 / (options.rrf_k + static_cast<double>(rank) + 1.0);
    };
    accumulate(lexical, 1.0, rrf, fused);
    accumulate(dense, 1.0, rrf, fused);
  } else {
    add_min_max(lexical, 1.0 - options.dense_weight, fused);
    add_min_max(dense, options.dense_weight, fused);
  }
  std::vector<RankedId> out;
  out.reserve(fused.size());
  for (auto [id, score] : fused) out.push_back({id, score});
  std::sort(out.begin(), out.end(), [](const RankedId& a, const RankedId& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  return out;
}

}  // namespace rag::retrieval
