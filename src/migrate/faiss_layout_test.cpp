// The layout check of FAISS files (retrieval/faiss_layout.hpp) as import-faiss runs it, on real
// files written by libfaiss, and on
// crafted ones: an IndexHNSWFlat whose nested storage disagrees with its header made
// reconstruct_n write past its buffer before the check existed.
#include "retrieval/faiss_layout.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>

#include "migrate/faiss_file.hpp"

namespace rag::migrate {
namespace {

using retrieval::check_faiss_layout;
using retrieval::FaissLayout;
using ::testing::HasSubstr;

std::vector<float> rows(int n, int d) {
  std::vector<float> v(static_cast<std::size_t>(n) * d);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.01f * static_cast<float>(i + 1);
  return v;
}

std::string bytes_of(const faiss::Index& index) {
  faiss::VectorIOWriter writer;
  faiss::write_index(&index, &writer);
  return std::string(writer.data.begin(), writer.data.end());
}

std::string flat(int d, int n, faiss::MetricType metric = faiss::METRIC_INNER_PRODUCT) {
  faiss::IndexFlat index(d, metric);
  index.add(n, rows(n, d).data());
  return bytes_of(index);
}

std::string hnsw(int d, int n, faiss::MetricType metric = faiss::METRIC_INNER_PRODUCT) {
  faiss::IndexHNSWFlat index(d, 8, metric);
  index.add(n, rows(n, d).data());
  return bytes_of(index);
}

// The bytes of an HNSW file without its nested storage (a flat index ends the file).
std::string graph_part(int d, int n) {
  const std::string whole = hnsw(d, n);
  return whole.substr(0, whole.size() - flat(d, n).size());
}

Result<FaissLayout> layout(const std::string& bytes) {
  std::istringstream in(bytes);
  return check_faiss_layout(in, bytes.size(), "vector.index");
}

TEST(FaissLayout, AcceptsTheExactStoresFaissWrites) {
  for (auto metric : {faiss::METRIC_INNER_PRODUCT, faiss::METRIC_L2}) {
    for (const auto& bytes :
         {flat(4, 5, metric), hnsw(4, 5, metric), flat(3, 0, metric), hnsw(3, 0, metric)}) {
      auto l = layout(bytes);
      ASSERT_TRUE(l) << l.error().message;
      EXPECT_EQ(l->inner_product, metric == faiss::METRIC_INNER_PRODUCT);
      auto v = read_faiss_vectors(bytes, "vector.index");
      ASSERT_TRUE(v) << v.error().message;
      EXPECT_EQ(static_cast<std::int64_t>(v->count), l->count);
      EXPECT_EQ(v->dimension, l->dimension);
    }
  }
}

TEST(FaissLayout, RefusesAnHnswStorageOfAnotherDimensionBeforeFaissReadsIt) {
  const std::string wider = graph_part(4, 5) + flat(8, 5);  // reconstruct_n wrote 40 floats in 20
  auto l = layout(wider);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, ErrorCode::kCorrupt);
  EXPECT_THAT(l.error().message,
              HasSubstr("HNSW storage of 5 vectors of dimension 8 under a header of 5 of "
                        "dimension 4"));
  auto v = read_faiss_vectors(wider, "vector.index");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, ErrorCode::kCorrupt);
}

TEST(FaissLayout, RefusesAnHnswStorageOfAnotherCountOrKind) {
  for (const auto& bytes :
       {graph_part(4, 5) + flat(4, 3), graph_part(4, 5) + flat(4, 9),
        graph_part(4, 5) + flat(4, 5, faiss::METRIC_L2), graph_part(4, 5) + hnsw(4, 5)}) {
    auto v = read_faiss_vectors(bytes, "vector.index");
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, ErrorCode::kCorrupt) << v.error().message;
  }
}

TEST(FaissLayout, RefusesLengthsBeyondTheFileBoolsThatAreNotAndTrailingBytes) {
  std::string huge = hnsw(4, 5);
  const std::uint64_t count = std::uint64_t{1} << 39;  // assign_probas: FAISS would allocate 4 TiB
  std::memcpy(huge.data() + 4 + 33, &count, sizeof count);
  EXPECT_THAT(layout(huge).error().message, HasSubstr("ends inside its HNSW graph"));
  std::string not_bool = flat(4, 5);
  not_bool[4 + 28] = 2;  // is_trained
  EXPECT_THAT(layout(not_bool).error().message, HasSubstr("impossible index header"));
  EXPECT_THAT(layout(flat(4, 5) + "x").error().message, HasSubstr("1 bytes after its index"));
  EXPECT_EQ(layout("IwFl").error().code, ErrorCode::kInvalidArgument);
}

TEST(FaissLayout, EveryTruncationIsRefused) {
  for (const auto& whole : {flat(4, 5), hnsw(4, 5)}) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      auto l = layout(whole.substr(0, n));
      ASSERT_FALSE(l) << n;
      EXPECT_EQ(l.error().code, ErrorCode::kCorrupt) << n;
    }
  }
}

}  // namespace
}  // namespace rag::migrate
