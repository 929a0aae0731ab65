// BM25 checked against values computed by hand (k1 = 1.2, b = 0.75) on a 3-document corpus:
//   d0 = [a b c], d1 = [a a d], d2 = [b e];  N = 3, avgdl = 8/3
//   idf(n=2) = ln(1 + 1.5/2.5) = ln 1.6 = 0.470004;  idf(n=1) = ln(1 + 2.5/1.5) = 0.980829
//   norm(|d|=3) = 1.2 * (0.25 + 0.75 * 3 / (8/3)) = 1.3125;  norm(|d|=2) = 0.975
//   "a":   d1 = 0.470004 * 2 * 2.2 / (2 + 1.3125) = 0.624307
//          d0 = 0.470004 * 1 * 2.2 / (1 + 1.3125) = 0.447139
//   "b e": d2 = 0.470004 * 2.2 / 1.975 + 0.980829 * 2.2 / 1.975 = 1.616118;  d0 = 0.447139
//   scaled("b e", d2) = 1.616118 / ((0.470004 + 0.980829) * 2.2) = 0.506329
#include "retrieval/bm25.hpp"

#include <gtest/gtest.h>

namespace rag::retrieval {
namespace {

Bm25Index corpus() { return Bm25Index({{"a", "b", "c"}, {"a", "a", "d"}, {"b", "e"}}); }

TEST(Bm25, IdfMatchesHandComputedValues) {
  const auto index = corpus();
  EXPECT_NEAR(index.idf("a"), 0.470004, 1e-6);
  EXPECT_NEAR(index.idf("e"), 0.980829, 1e-6);
  EXPECT_NEAR(index.average_length(), 8.0 / 3.0, 1e-12);
}

TEST(Bm25, SingleTermScoresMatchHandComputedValues) {
  const auto hits = corpus().search({"a"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 1u);
  EXPECT_NEAR(hits[0].score, 0.624307, 1e-6);
  EXPECT_EQ(hits[1].doc, 0u);
  EXPECT_NEAR(hits[1].score, 0.447139, 1e-6);
}

TEST(Bm25, MultiTermScoresAddUp) {
  const auto hits = corpus().search({"b", "e"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 2u);
  EXPECT_NEAR(hits[0].score, 1.616118, 1e-6);
  EXPECT_EQ(hits[1].doc, 0u);
  EXPECT_NEAR(hits[1].score, 0.447139, 1e-6);
}

TEST(Bm25, RepeatedQueryTermCountsOnce) {
  const auto once = corpus().search({"a"}, 10);
  const auto twice = corpus().search({"a", "a"}, 10);
  ASSERT_EQ(twice.size(), once.size());
  EXPECT_DOUBLE_EQ(twice[0].score, once[0].score);
}

TEST(Bm25, LimitAndUnknownTerms) {
  const auto index = corpus();
  EXPECT_EQ(index.search({"a"}, 1).size(), 1u);
  EXPECT_TRUE(index.search({"zzz"}, 10).empty());
  EXPECT_TRUE(index.search({}, 10).empty());
  EXPECT_TRUE(index.search({"a"}, 0).empty());
}

TEST(Bm25, ScaledIsScoreOverItsUpperBound) {
  const auto index = corpus();
  EXPECT_NEAR(index.scaled(1.616118, {"b", "e"}), 0.506329, 1e-6);
  // An unknown query word counts as if one document held it (idf 0.980829).
  EXPECT_NEAR(index.scaled(1.616118, {"b", "e", "zzz"}),
              1.616118 / ((0.470004 + 2 * 0.980829) * 2.2), 1e-6);
  EXPECT_EQ(index.scaled(1.0, {}), 0.0);
}

TEST(Bm25, ScaledFullMatchOfAverageDocumentIsAboutPointFourFive) {
  // Every document has length 2 (= avgdl), every query term appears once: 1 / (k1 + 1).
  Bm25Index index({{"x", "y"}, {"p", "q"}, {"r", "s"}, {"x", "q"}});
  const auto hits = index.search({"p", "q"}, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(index.scaled(hits[0].score, {"p", "q"}), 1 / 2.2, 1e-9);
}

TEST(Bm25, EmptyCorpus) {
  Bm25Index index(std::vector<std::vector<std::string>>{});
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.search({"a"}, 5).empty());
}

}  // namespace
}  // namespace rag::retrieval
