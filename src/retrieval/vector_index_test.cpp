// VectorIndex: the stored HNSW graph round-trips, and a file for anything else is refused.
#include "retrieval/vector_index.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "retrieval/testing/test_corpus.hpp"

namespace rag::retrieval {
namespace {

using testing::ScratchDir;

constexpr int kDim = 16;
constexpr std::size_t kCount = 300;

std::vector<float> random_vectors(std::size_t count, unsigned seed) {
  std::mt19937 random(seed);
  std::normal_distribution<float> normal;
  std::vector<float> data(count * kDim);
  for (auto& x : data) x = normal(random);
  return data;
}

std::unique_ptr<VectorIndex> hnsw(const std::vector<float>& data) {
  VectorIndexOptions options;
  options.hnsw_threshold = 1;
  auto built = VectorIndex::build(data, data.size() / kDim, kDim, options);
  EXPECT_TRUE(built) << built.error().message;
  return built ? std::move(*built) : nullptr;
}

std::vector<std::int64_t> ids(const VectorIndex& index, const std::vector<float>& query) {
  auto hits = index.search(query, 10);
  EXPECT_TRUE(hits);
  std::vector<std::int64_t> out;
  for (const auto& h : *hits) out.push_back(h.id);
  return out;
}

TEST(VectorIndexFile, SavedGraphLoadsAndSearchesTheSame) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.hnsw";
  const auto data = random_vectors(kCount, 1);
  auto built = hnsw(data);
  ASSERT_TRUE(built->approximate());
  ASSERT_TRUE(built->save(file, "7@2026-11-25T06:00:00"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "vectors.hnsw.tmp"));
  EXPECT_EQ(VectorIndex::saved_stamp(file), "7@2026-11-25T06:00:00");

  auto loaded = VectorIndex::load(file, "7@2026-11-25T06:00:00", kCount, kDim);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE((*loaded)->approximate());
  EXPECT_EQ((*loaded)->size(), kCount);
  const auto queries = random_vectors(20, 2);
  for (std::size_t q = 0; q < 20; ++q) {
    const std::vector<float> query(queries.begin() + q * kDim, queries.begin() + (q + 1) * kDim);
    EXPECT_EQ(ids(**loaded, query), ids(*built, query));
    auto normalised = query;
    VectorIndex::normalise(normalised.data(), kDim);
    EXPECT_FLOAT_EQ((*loaded)->similarity(normalised, 5), built->similarity(normalised, 5));
  }
}

TEST(VectorIndexFile, RefusesAFileSavedForAnotherIndex) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.hnsw";
  ASSERT_TRUE(hnsw(random_vectors(kCount, 1))->save(file, "7@t"));
  auto other_stamp = VectorIndex::load(file, "8@t", kCount, kDim);
  ASSERT_FALSE(other_stamp);
  EXPECT_EQ(other_stamp.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(other_stamp.error().message.find("other vectors (7@t; the index has 8@t)"),
            std::string::npos)
      << other_stamp.error().message;
  auto other_count = VectorIndex::load(file, "7@t", kCount + 1, kDim);
  ASSERT_FALSE(other_count);
  EXPECT_EQ(other_count.error().code, ErrorCode::kCorrupt);
  EXPECT_FALSE(VectorIndex::load(file, "7@t", kCount, kDim + 1));
}

TEST(VectorIndexFile, MissingTruncatedAndForeignFilesAreErrorsNotCrashes) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.hnsw";
  auto missing = VectorIndex::load(file, "1@t", kCount, kDim);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(VectorIndex::saved_stamp(file), "");

  ASSERT_TRUE(hnsw(random_vectors(kCount, 1))->save(file, "1@t"));
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size / 2);  // a copy cut short
  auto truncated = VectorIndex::load(file, "1@t", kCount, kDim);
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(truncated.error().message.find("cut short"), std::string::npos)
      << truncated.error().message;

  std::ofstream(file) << "not an index\n";
  auto foreign = VectorIndex::load(file, "1@t", kCount, kDim);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(VectorIndex::saved_stamp(file), "");
}

TEST(VectorIndexFile, SaveIntoAMissingFolderIsAnIoError) {
  ScratchDir dir;
  auto saved = hnsw(random_vectors(kCount, 1))->save(dir.path() / "no" / "vectors.hnsw", "1@t");
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace rag::retrieval
