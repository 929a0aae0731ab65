// Hybrid fusion of a lexical and a dense candidate list (src/retrieval/README.md). Default:
// weighted sum of min-max-normalised scores (Anserini's fusion experiments: better than RRF on
// average over 18 BEIR sets); option: reciprocal rank fusion, sum of 1 / (rrf_k + rank), rank from
// 1. Min-max: (s - min) / (max - min) within each list; a list whose scores are all equal maps to
// 1.0; a document missing from a list gets 0 from it. Pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace rag::retrieval {

enum class FusionMethod { kWeightedSum, kReciprocalRank };

struct FusionOptions {
  FusionMethod method = FusionMethod::kWeightedSum;
  double dense_weight = 0.1;  // weighted sum: dense * w + lexical * (1 - w); FUSION_DENSE_WEIGHT
  int rrf_k = 60;
};

struct RankedId {
  std::uint32_t id = 0;
  double score = 0;  // the list's own score (BM25, cosine); lists are given best first
};

// Every document of either list once, best fused score first (ties: lower id first).
std::vector<RankedId> fuse(const std::vector<RankedId>& lexical, const std::vector<RankedId>& dense,
                           const FusionOptions& options = {});

}  // namespace rag::retrieval
