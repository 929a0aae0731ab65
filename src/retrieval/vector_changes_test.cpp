// The vector index changes file: what is saved loads back whole; damage, a cut or sizes that do
// not add up are refused (the ids and lists against a base: vector_index_test).
#include "retrieval/vector_changes.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "retrieval/testing/test_corpus.hpp"

namespace rag::retrieval {
namespace {

using testing::ScratchDir;

StoredVectorChanges some_changes() {
  StoredVectorChanges out;
  out.stamp = "IVF index of vectors of dimension 2, content x:2";
  out.base_stamp = "IVF index of vectors of dimension 2, content x:1";
  out.base_size = 12345;
  out.model = "model";
  out.dimension = 2;
  out.changes.base_ids = {1, -1, 0};
  out.changes.added_ids = {2};
  out.changes.added_lists = {3};
  out.changes.added_codes = {7, 9};
  out.rows = {0, 1, 4};
  out.row_ids = {10, 11, 14};
  return out;
}

TEST(VectorChanges, WhatIsSavedLoadsBackWhole) {
  ScratchDir dir;
  const auto file = vector_changes_path(dir.path());
  const auto saved = some_changes();
  ASSERT_TRUE(save_vector_changes(saved, file));
  EXPECT_EQ(saved_changes_stamp(file), saved.stamp);
  auto loaded = load_vector_changes(file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->stamp, saved.stamp);
  EXPECT_EQ(loaded->base_stamp, saved.base_stamp);
  EXPECT_EQ(loaded->base_size, saved.base_size);
  EXPECT_EQ(loaded->model, saved.model);
  EXPECT_EQ(loaded->dimension, saved.dimension);
  EXPECT_EQ(loaded->changes.base_ids, saved.changes.base_ids);
  EXPECT_EQ(loaded->changes.added_ids, saved.changes.added_ids);
  EXPECT_EQ(loaded->changes.added_lists, saved.changes.added_lists);
  EXPECT_EQ(loaded->changes.added_codes, saved.changes.added_codes);
  EXPECT_EQ(loaded->rows, saved.rows);
  EXPECT_EQ(loaded->row_ids, saved.row_ids);
}

TEST(VectorChanges, ADamagedOrMissingFileIsRefused) {
  ScratchDir dir;
  const auto file = vector_changes_path(dir.path());
  EXPECT_EQ(load_vector_changes(file).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(saved_changes_stamp(file), "");
  ASSERT_TRUE(save_vector_changes(some_changes(), file));
  const auto size = std::filesystem::file_size(file);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size - 3));
    f.put('\x7f');
  }
  auto damaged = load_vector_changes(file);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(damaged.error().message.find("checksum"), std::string::npos) << damaged.error().message;
  std::filesystem::resize_file(file, size / 2);
  EXPECT_EQ(load_vector_changes(file).error().code, ErrorCode::kCorrupt);
}

TEST(VectorChanges, SizesThatDoNotAddUpAreNotWritten) {
  ScratchDir dir;
  const auto file = vector_changes_path(dir.path());
  const auto refused = [&](auto&& damage) {
    auto changes = some_changes();
    damage(changes);
    auto saved = save_vector_changes(changes, file);
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(std::filesystem::exists(file));
  };
  refused([](StoredVectorChanges& c) { c.rows.pop_back(); });
  refused([](StoredVectorChanges& c) { c.row_ids.pop_back(); });
  refused([](StoredVectorChanges& c) { c.changes.added_codes.pop_back(); });
  refused([](StoredVectorChanges& c) { c.changes.added_lists.clear(); });
  refused([](StoredVectorChanges& c) { c.changes.base_ids[1] = 5; });  // one more kept
  refused([](StoredVectorChanges& c) { c.dimension = 0; });
}

}  // namespace
}  // namespace rag::retrieval
