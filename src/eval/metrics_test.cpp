#include "eval/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace rag::eval {
namespace {

TEST(Metrics, PerfectRankingScoresOne) {
  const auto m = score_ranking({"a", "b", "x"}, {{"a", 1}, {"b", 1}});
  EXPECT_DOUBLE_EQ(m.ndcg10, 1.0);
  EXPECT_DOUBLE_EQ(m.recall5, 1.0);
  EXPECT_DOUBLE_EQ(m.mrr10, 1.0);
  EXPECT_FALSE(m.no_result);
}

TEST(Metrics, NdcgMatchesHandComputedValue) {
  // Relevant at ranks 2 and 4 of two relevant: DCG = 1/log2(3) + 1/log2(5),
  // IDCG = 1 + 1/log2(3).
  const auto m = score_ranking({"x", "a", "y", "b"}, {{"a", 1}, {"b", 1}});
  const double dcg = 1 / std::log2(3.0) + 1 / std::log2(5.0);
  EXPECT_NEAR(m.ndcg10, dcg / (1 + 1 / std::log2(3.0)), 1e-12);
  EXPECT_DOUBLE_EQ(m.mrr10, 0.5);
  EXPECT_DOUBLE_EQ(m.recall5, 1.0);
}

TEST(Metrics, GradesAreGains) {
  // The grade-2 document first is ideal; the grade-1 one first is not.
  const Judgements judged{{"a", 2}, {"b", 1}};
  EXPECT_DOUBLE_EQ(score_ranking({"a", "b"}, judged).ndcg10, 1.0);
  const double idcg = 2 + 1 / std::log2(3.0);
  EXPECT_NEAR(score_ranking({"b", "a"}, judged).ndcg10, (1 + 2 / std::log2(3.0)) / idcg, 1e-12);
}

TEST(Metrics, RecallCountsOnlyTheFirstKAndADuplicateOnce) {
  std::vector<std::string> ranked{"x1", "x2", "x3", "x4", "x4", "a"};
  const auto m = score_ranking(ranked, {{"a", 1}, {"b", 1}});
  EXPECT_DOUBLE_EQ(m.recall5, 0.5);  // the duplicate x4 does not push a out of the first 5
  EXPECT_DOUBLE_EQ(m.recall10, 0.5);
  EXPECT_DOUBLE_EQ(m.mrr10, 1.0 / 5);
}

TEST(Metrics, NothingRelevantFoundAndEmptyRanking) {
  const auto m = score_ranking({}, {{"a", 1}});
  EXPECT_TRUE(m.no_result);
  EXPECT_DOUBLE_EQ(m.ndcg10, 0);
  EXPECT_DOUBLE_EQ(m.recall100, 0);
  EXPECT_DOUBLE_EQ(m.mrr10, 0);
}

TEST(Metrics, RelevantBeyondTenCountsForRecallAt100Only) {
  std::vector<std::string> ranked;
  for (int i = 0; i < 20; ++i) ranked.push_back("x" + std::to_string(i));
  ranked.push_back("a");
  const auto m = score_ranking(ranked, {{"a", 1}});
  EXPECT_DOUBLE_EQ(m.ndcg10, 0);
  EXPECT_DOUBLE_EQ(m.mrr10, 0);
  EXPECT_DOUBLE_EQ(m.recall10, 0);
  EXPECT_DOUBLE_EQ(m.recall100, 1);
}

TEST(Metrics, MeanAveragesAndCountsEmptyRankings) {
  QueryMetrics a;
  a.ndcg10 = 1;
  QueryMetrics b;
  b.no_result = true;
  const auto mean = mean_of({a, b});
  EXPECT_EQ(mean.queries, 2u);
  EXPECT_EQ(mean.no_result, 1u);
  EXPECT_DOUBLE_EQ(mean.mean.ndcg10, 0.5);
  EXPECT_EQ(mean_of({}).queries, 0u);
}

}  // namespace
}  // namespace rag::eval
