// Retrieval quality metrics of one ranked list against judged documents, and their mean over
// a set of queries (docs/eval.md). The definitions are the usual TREC/BEIR ones:
//   nDCG@10  = DCG@10 / ideal DCG@10, DCG = Σ_{i<10} gain(d_i) / log2(i + 2), gain = the
//              judgement's grade (1 for binary judgements); the ideal ranking orders all
//              judged documents by grade;
//   recall@k = |relevant ∩ first k| / |relevant| (relevant = grade > 0);
//   MRR@10   = 1 / rank of the first relevant document within the first 10, else 0.
// A document listed twice counts at its first (best) rank only.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace rag::eval {

// Document id → grade (> 0 relevant).
using Judgements = std::map<std::string, int>;

struct QueryMetrics {
  double ndcg10 = 0;
  double recall5 = 0;
  double recall10 = 0;
  double recall100 = 0;
  double mrr10 = 0;
  bool no_result = false;  // the ranking was empty
};

// REQUIRES: `judged` holds at least one relevant document.
QueryMetrics score_ranking(const std::vector<std::string>& ranked, const Judgements& judged);

struct MeanMetrics {
  std::size_t queries = 0;
  std::size_t no_result = 0;
  QueryMetrics mean;  // mean.no_result unused
};

MeanMetrics mean_of(const std::vector<QueryMetrics>& each);

}  // namespace rag::eval
