// BM25F checked against values computed by hand (k1 = 1.2; body weight 1, b 0.75; title
// weight 3, b 0.5; section weight 2, b 0.5: the defaults).
//
// Body-only corpus (textbook BM25): d0 = [a b c], d1 = [a a d], d2 = [b e];  N = 3, avgdl = 8/3
//   idf(n=2) = ln(1 + 1.5/2.5) = ln 1.6 = 0.470004;  idf(n=1) = ln(1 + 2.5/1.5) = 0.980829
//   idf(n=0) = ln(1 + 3.5/0.5) = ln 8 = 2.079442
//   norm(|d|=3) = 0.25 + 0.75 * 3 / (8/3) = 1.09375;  norm(|d|=2) = 0.8125
//   "a":   d1: tf~ = 2 / 1.09375 = 1.828571, 0.470004 * 2.2 * tf~ / (1.2 + tf~) = 0.624307
//          d0: tf~ = 1 / 1.09375 = 0.914286, ... = 0.447139
//   "b e": d2 = 0.470004 * 2.2 / (1.2 * 0.8125 + 1) + 0.980829 * 2.2 / 1.975 = 1.616118
//
// Fielded corpus: d0 = body [x y] title [t]; d1 = body [t z]; d2 = body [y y] title [u]
// section [x]; average lengths: body 2, title 2/3, section 1/3.
//   d0 title "t": norm = 0.5 + 0.5 * 1 / (2/3) = 1.25, tf~ = 3 * 1 / 1.25 = 2.4
//   "t": d0 = 0.470004 * 2.2 * 2.4 / 3.6 = 0.689339 (title) > d1 = 0.470004 (body, tf~ = 1)
//   "y u": d2: y tf~ = 2 (body), u tf~ = 2.4 (title): 0.470004 * 2.2 * 2 / 3.2
//          + 0.980829 * 2.2 * 2.4 / 3.6 = 2.084805
//   "x": d2's section [x]: norm = 0.5 + 0.5 * 1 / (1/3) = 2, tf~ = 2 / 2 = 1: 0.470004, as d0's
//        body x (tf~ 1): a tie, lower doc id first.
#include "retrieval/bm25.hpp"

#include <gtest/gtest.h>

namespace rag::retrieval {
namespace {

Bm25Index corpus() {
  return Bm25Index(
      std::vector<std::vector<std::string>>{{"a", "b", "c"}, {"a", "a", "d"}, {"b", "e"}});
}

Bm25Index fielded() {
  return Bm25Index(std::vector<FieldTerms>{
      {{"x", "y"}, {"t"}, {}}, {{"t", "z"}, {}, {}}, {{"y", "y"}, {"u"}, {"x"}}});
}

TEST(Bm25, IdfMatchesHandComputedValues) {
  const auto index = corpus();
  EXPECT_NEAR(index.idf("a"), 0.470004, 1e-6);
  EXPECT_NEAR(index.idf("e"), 0.980829, 1e-6);
  EXPECT_NEAR(index.idf("unknown"), 2.079442, 1e-6);
  EXPECT_NEAR(index.average_length(Field::kBody), 8.0 / 3.0, 1e-12);
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

TEST(Bm25, TitleOutweighsBody) {
  const auto hits = fielded().search({"t"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 0u);
  EXPECT_NEAR(hits[0].score, 0.689339, 1e-6);
  EXPECT_EQ(hits[1].doc, 1u);
  EXPECT_NEAR(hits[1].score, 0.470004, 1e-6);
  EXPECT_NEAR(fielded().average_length(Field::kTitle), 2.0 / 3.0, 1e-12);
}

TEST(Bm25, FieldsOfOneDocumentAddUp) {
  const auto hits = fielded().search({"y", "u"}, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].doc, 2u);
  EXPECT_NEAR(hits[0].score, 2.084805, 1e-6);
}

TEST(Bm25, SectionFieldIsSearchedWithItsOwnNormalisation) {
  const auto hits = fielded().search({"x"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 0u);
  EXPECT_EQ(hits[1].doc, 2u);
  EXPECT_NEAR(hits[1].score, 0.470004, 1e-6);
}

TEST(Bm25, OneBodyFieldOfWeightOneIsTextbookBm25) {
  Bm25Params params;
  params.fields[0] = {1.0, 0.75};
  const auto plain = Bm25Index(
      std::vector<FieldTerms>{
          {{"a", "b", "c"}, {}, {}}, {{"a", "a", "d"}, {}, {}}, {{"b", "e"}, {}, {}}},
      params);
  EXPECT_NEAR(plain.search({"a"}, 1)[0].score, 0.624307, 1e-6);
}

TEST(Bm25, RepeatedQueryTermCountsOnce) {
  const auto once = corpus().search({"a"}, 10);
  const auto twice = corpus().search({"a", "a"}, 10);
  ASSERT_EQ(twice.size(), once.size());
  EXPECT_DOUBLE_EQ(twice[0].score, once[0].score);
}

TEST(Bm25, ManyRepeatedQueryTermsCostLinearTime) {
  // 200,000 terms of which 2 distinct: a quadratic de-duplication would take minutes here.
  std::vector<std::string> query;
  for (int i = 0; i < 100000; ++i) {
    query.push_back("a");
    query.push_back("zzz" + std::to_string(i % 7));
  }
  const auto hits = corpus().search(query, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_NEAR(hits[0].score, 0.624307, 1e-6);
}

TEST(Bm25, LimitAndUnknownTerms) {
  const auto index = corpus();
  EXPECT_EQ(index.search({"a"}, 1).size(), 1u);
  EXPECT_TRUE(index.search({"zzz"}, 10).empty());
  EXPECT_TRUE(index.search({}, 10).empty());
  EXPECT_TRUE(index.search({"a"}, 0).empty());
}

TEST(Bm25, RelevanceIsScoreOverSumOfIdf) {
  const auto index = corpus();
  EXPECT_NEAR(index.relevance(0.447139, {"a"}), 0.447139 / 0.470004, 1e-6);
  // An unknown query word counts with its idf at n = 0 (2.079442): it lowers relevance.
  EXPECT_NEAR(index.relevance(0.447139, {"a", "zzz"}), 0.447139 / (0.470004 + 2.079442), 1e-6);
  EXPECT_NEAR(index.relevance(0.447139, {"a", "a"}), 0.447139 / 0.470004, 1e-6);
  EXPECT_EQ(index.relevance(1.616118, {"b", "e"}), 1.0);  // clamped
  EXPECT_EQ(index.relevance(1.0, {}), 0.0);
}

TEST(Bm25, AverageDocumentHoldingEachTermOnceIsFullyRelevant) {
  // Every document has length 2 (= avgdl), every query term appears once: tf~ = 1.
  Bm25Index index(
      std::vector<std::vector<std::string>>{{"x", "y"}, {"p", "q"}, {"r", "s"}, {"x", "q"}});
  const auto hits = index.search({"p", "q"}, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(index.relevance(hits[0].score, {"p", "q"}), 1.0, 1e-9);
}

TEST(Bm25, EmptyCorpus) {
  Bm25Index index(std::vector<std::vector<std::string>>{});
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.search({"a"}, 5).empty());
}

}  // namespace
}  // namespace rag::retrieval
