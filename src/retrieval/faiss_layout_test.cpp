// The layout check of FAISS files (faiss_layout.hpp) on the IVF index vectors.faiss holds, as
// libfaiss writes it: accepted only where stored indexes are read, every truncation and every
// field that differs from what rag-server writes refused, and whatever single byte is changed,
// either refused or read by FAISS without an error. The exact stores import-faiss reads are
// tested with the import (src/migrate/faiss_layout_test.cpp).
#include "retrieval/faiss_layout.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <sstream>

namespace rag::retrieval {
namespace {

using ::testing::HasSubstr;

constexpr int kIvfDim = 8;
constexpr std::size_t kIvfLists = 4;

// The FAISS part of an IVF vectors.faiss: a trained index of 8-bit codes over empty lists, as
// VectorIndex::save writes it.
std::string ivf_part(faiss::MetricType metric = faiss::METRIC_INNER_PRODUCT) {
  std::vector<float> rows(200 * kIvfDim);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>((i * 37) % 101);
  faiss::IndexFlat quantizer(kIvfDim, metric);
  faiss::IndexIVFScalarQuantizer trained(&quantizer, kIvfDim, kIvfLists,
                                         faiss::ScalarQuantizer::QT_8bit, metric, false);
  trained.train(200, rows.data());
  faiss::IndexIVFScalarQuantizer shell(&quantizer, kIvfDim, kIvfLists, trained.sq.qtype, metric,
                                       false);
  shell.sq = trained.sq;
  shell.is_trained = true;
  faiss::VectorIOWriter writer;
  faiss::write_index(&shell, &writer);
  return std::string(writer.data.begin(), writer.data.end());
}

Result<FaissLayout> stored_layout(const std::string& bytes,
                                  FaissKinds kinds = FaissKinds::kStored) {
  std::istringstream in(bytes);
  return check_faiss_layout(in, bytes.size(), "vectors.faiss", kinds);
}

// FAISS's own reader over bytes the check accepted: no error, and the index it describes.
void expect_faiss_reads(const std::string& bytes, const FaissLayout& l) {
  faiss::VectorIOReader reader;
  reader.data.assign(bytes.begin(), bytes.end());
  std::unique_ptr<faiss::Index> index;
  ASSERT_NO_THROW(index.reset(faiss::read_index(&reader)));
  const auto* ivf = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index.get());
  ASSERT_NE(ivf, nullptr);
  EXPECT_EQ(ivf->d, l.dimension);
  EXPECT_EQ(ivf->nlist, l.lists);
  EXPECT_EQ(ivf->ntotal, 0);
  EXPECT_EQ(ivf->code_size, static_cast<std::size_t>(l.dimension));
}

TEST(FaissLayout, AcceptsTheIvfIndexOfVectorsFaissOnlyWhereStoredIndexesAreRead) {
  for (auto metric : {faiss::METRIC_INNER_PRODUCT, faiss::METRIC_L2}) {
    const std::string bytes = ivf_part(metric);
    auto l = stored_layout(bytes);
    ASSERT_TRUE(l) << l.error().message;
    EXPECT_EQ(l->tag, "IwSq");
    EXPECT_EQ(l->dimension, kIvfDim);
    EXPECT_EQ(l->lists, kIvfLists);
    EXPECT_EQ(l->count, 0);
    EXPECT_EQ(l->inner_product, metric == faiss::METRIC_INNER_PRODUCT);
    expect_faiss_reads(bytes, *l);
    // import-faiss reads exact stores only.
    auto exact = stored_layout(bytes, FaissKinds::kExact);
    ASSERT_FALSE(exact);
    EXPECT_EQ(exact.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(exact.error().message, "IndexIVFScalarQuantizer");
  }
}

TEST(FaissLayout, EveryTruncationOfTheIvfIndexIsRefused) {
  const std::string whole = ivf_part();
  for (std::size_t n = 0; n < whole.size(); ++n) {
    auto l = stored_layout(whole.substr(0, n));
    ASSERT_FALSE(l) << n;
    EXPECT_EQ(l.error().code, ErrorCode::kCorrupt) << n;
  }
  EXPECT_THAT(stored_layout(whole + "x").error().message, HasSubstr("1 bytes after its index"));
}

// The byte offsets of the fields the writer fixes (faiss_layout.hpp: ivf; 8 dimensions, 4 lists).
constexpr std::size_t kHeaderCount = 8;  // ntotal
constexpr std::size_t kNlist = 37;       // after the 33-byte header
constexpr std::size_t kNprobe = 45;
constexpr std::size_t kQuantizerCount = 61;  // the nested flat's ntotal
constexpr std::size_t kAfterQuantizer = 53 + 37 + 8 + kIvfLists * kIvfDim * 4;  // the direct map

TEST(FaissLayout, RefusesAnIvfIndexThatIsNotAsRagServerWritesIt) {
  const std::string whole = ivf_part();
  ASSERT_EQ(whole.substr(53, 4), "IxFI");
  ASSERT_EQ(whole.size(), kAfterQuantizer + 1 + 8 + 4 + 4 + 4 + 8 + 8 + 8 + 2 * kIvfDim * 4 + 8 +
                              1 + 4 + 8 + 8 + 4 + 8);
  const auto with = [&](std::size_t at, std::uint64_t value, std::size_t width) {
    std::string bytes = whole;
    std::memcpy(bytes.data() + at, &value, width);
    return stored_layout(bytes);
  };
  const auto refused = [](const Result<FaissLayout>& l, const std::string& why) -> std::string {
    EXPECT_FALSE(l) << why;
    if (l) return "";
    EXPECT_EQ(l.error().code, ErrorCode::kCorrupt) << why;
    return l.error().message;
  };
  EXPECT_THAT(refused(with(kHeaderCount, 3, 8), "vectors inside FAISS's part"),
              HasSubstr("impossible IVF header"));
  EXPECT_THAT(refused(with(kNprobe, kIvfLists + 1, 8), "more probes than lists"),
              HasSubstr("impossible IVF header"));
  EXPECT_THAT(refused(with(kNlist, kIvfLists + 1, 8), "lists the quantizer does not hold"),
              HasSubstr("IVF quantizer of 4 centroids of dimension 8 under a header of 5 lists"));
  refused(with(kQuantizerCount, kIvfLists - 1, 8), "fewer centroids");
  const std::size_t qtype = kAfterQuantizer + 1 + 8;
  const std::size_t by_residual = qtype + 4 + 4 + 4 + 8 + 8 + 8 + 2 * kIvfDim * 4 + 8;
  const std::size_t sizes = by_residual + 1 + 4 + 8 + 8 + 4;
  for (const auto& [at, value, width, why] :
       std::vector<std::tuple<std::size_t, std::uint64_t, std::size_t, std::string>>{
           {kAfterQuantizer, 1, 1, "a direct map"},
           {qtype, 1, 4, "4-bit codes"},
           {by_residual, 1, 1, "codes by residual"},
           {sizes, 2, 8, "lists inside FAISS's part"}}) {
    EXPECT_THAT(refused(with(at, value, width), why), HasSubstr("rag-server writes")) << why;
  }
}

TEST(FaissLayout, AnyOneByteChangedIsRefusedOrReadByFaissWithoutAnError) {
  const std::string whole = ivf_part();
  for (std::size_t at = 0; at < whole.size(); ++at) {
    for (const unsigned char value : {0x00, 0x01, 0x7f, 0xff}) {
      std::string bytes = whole;
      bytes[at] = static_cast<char>(value);
      auto l = stored_layout(bytes);
      if (!l) continue;
      SCOPED_TRACE(::testing::Message() << "byte " << at << " = " << static_cast<int>(value));
      expect_faiss_reads(bytes, *l);
    }
  }
}

}  // namespace
}  // namespace rag::retrieval
