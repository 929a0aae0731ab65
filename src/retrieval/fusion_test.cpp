#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "retrieval/adaptive_filter.hpp"
#include "retrieval/fusion.hpp"

namespace rag::retrieval {
namespace {

std::vector<std::uint32_t> ids(const std::vector<RankedId>& list) {
  std::vector<std::uint32_t> out;
  for (const auto& r : list) out.push_back(r.id);
  return out;
}
std::vector<std::uint32_t> ids(const std::vector<Candidate>& list) {
  std::vector<std::uint32_t> out;
  for (const auto& c : list) out.push_back(c.id);
  return out;
}

// lexical min-max: 1 → 1, 2 → 0.5, 3 → 0;  dense min-max: 2 → 1, 4 → 0.5, 1 → 0.
const std::vector<RankedId> kLexical{{1, 10}, {2, 5}, {3, 0}};
const std::vector<RankedId> kDense{{2, 0.9}, {4, 0.5}, {1, 0.1}};

TEST(Fusion, WeightedSumOfMinMaxNormalisedScores) {
  FusionOptions even;
  even.dense_weight = 0.5;
  const auto fused = fuse(kLexical, kDense, even);
  EXPECT_THAT(ids(fused), ::testing::ElementsAre(2, 1, 4, 3));
  EXPECT_DOUBLE_EQ(fused[0].score, 0.75);  // 0.5 * 0.5 + 0.5 * 1
  EXPECT_DOUBLE_EQ(fused[1].score, 0.5);   // 0.5 * 1 + 0.5 * 0
  EXPECT_DOUBLE_EQ(fused[2].score, 0.25);  // absent from lexical: 0 from it
  EXPECT_DOUBLE_EQ(fused[3].score, 0.0);
}

TEST(Fusion, DenseWeightShiftsTheBalance) {
  FusionOptions options;
  options.dense_weight = 1.0;
  EXPECT_THAT(ids(fuse(kLexical, kDense, options)), ::testing::ElementsAre(2, 4, 1, 3));
  options.dense_weight = 0.0;
  EXPECT_THAT(ids(fuse(kLexical, kDense, options)), ::testing::ElementsAre(1, 2, 3, 4));
}

TEST(Fusion, ReciprocalRankFusionWithK60) {
  FusionOptions options;
  options.method = FusionMethod::kReciprocalRank;
  const auto fused = fuse(kLexical, kDense, options);
  EXPECT_THAT(ids(fused), ::testing::ElementsAre(2, 1, 4, 3));
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 62 + 1.0 / 61);
  EXPECT_DOUBLE_EQ(fused[1].score, 1.0 / 61 + 1.0 / 63);
  EXPECT_DOUBLE_EQ(fused[2].score, 1.0 / 62);
  EXPECT_DOUBLE_EQ(fused[3].score, 1.0 / 63);
}

TEST(Fusion, DefaultWeightLeansLexical) {
  // FUSION_DENSE_WEIGHT's default 0.1 (retrieval/README.md): dense evidence breaks near-ties.
  const auto fused = fuse(kLexical, kDense);
  EXPECT_THAT(ids(fused), ::testing::ElementsAre(1, 2, 4, 3));
  EXPECT_DOUBLE_EQ(fused[1].score, 0.9 * 0.5 + 0.1 * 1);
}

TEST(Fusion, EqualScoresNormaliseToOneAndEmptyListsAreFine) {
  FusionOptions even;
  even.dense_weight = 0.5;
  const auto fused = fuse({{7, 3}, {8, 3}}, {}, even);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_DOUBLE_EQ(fused[0].score, 0.5);
  EXPECT_TRUE(fuse({}, {}).empty());
}

TEST(AdaptiveFilter, DropsCandidatesUnderTheFloor) {
  EXPECT_THAT(ids(adaptive_filter({{1, 0.9}, {2, 0.29}}, 5)), ::testing::ElementsAre(1));
  EXPECT_THAT(ids(adaptive_filter({{1, 0.3}}, 5)), ::testing::ElementsAre(1));  // inclusive
}

TEST(AdaptiveFilter, KeepsOnlyThoseAtLeastHalfTheBest) {
  EXPECT_THAT(ids(adaptive_filter({{1, 0.8}, {2, 0.5}, {3, 0.39}, {4, 0.41}}, 5)),
              ::testing::ElementsAre(1, 2, 4));
}

TEST(AdaptiveFilter, AtMostK) {
  EXPECT_THAT(ids(adaptive_filter({{1, 0.8}, {2, 0.7}, {3, 0.6}}, 2)),
              ::testing::ElementsAre(1, 2));
  EXPECT_TRUE(adaptive_filter({{1, 0.8}}, 0).empty());
}

TEST(AdaptiveFilter, NothingAboveTheFloorMeansNothing) {
  EXPECT_TRUE(adaptive_filter({{1, 0.2}, {2, 0.1}}, 5).empty());
  EXPECT_TRUE(adaptive_filter({}, 5).empty());
}

TEST(AdaptiveFilter, AlwaysKeepsTheFirstRankedSurvivor) {
  // Fusion ranked candidate 1 first although its score is under half the best (0.9).
  EXPECT_THAT(ids(adaptive_filter({{1, 0.4}, {2, 0.9}, {3, 0.44}, {4, 0.5}}, 5)),
              ::testing::ElementsAre(1, 2, 4));
  EXPECT_THAT(ids(adaptive_filter({{5, 0.1}, {1, 0.4}, {2, 0.9}}, 1)),
              ::testing::ElementsAre(1));  // first-ranked among those above the floor
}

TEST(AdaptiveFilter, FloorAndRatioAreConfigurable) {
  FilterOptions options;
  options.min_score = 0.0;
  options.relative = 0.0;
  EXPECT_THAT(ids(adaptive_filter({{1, 0.9}, {2, 0.01}}, 5, options)),
              ::testing::ElementsAre(1, 2));
}

}  // namespace
}  // namespace rag::retrieval
