// import_faiss end to end on a fixture folder written here: documents.pkl from a real CPython
// pickle, metadata.json, build_info.json and a vector.index written by libfaiss.
#include "migrate/importer.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "migrate/pickle_test_data.hpp"
#include "store/index_reader.hpp"
#include "store/index_writer.hpp"

namespace rag::migrate {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int kDim = 4;
const std::vector<std::string> kTexts = {"alpha", "b\u00e9ta \u2713 \U0001F600", "", "alpha",
                                         "alpha"};  // testdata::kProtocol4

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Unit vectors, row i pointing mostly along axis i % kDim.
std::vector<float> vectors(std::size_t n) {
  std::vector<float> v(n * kDim);
  for (std::size_t i = 0; i < n; ++i) {
    float norm = 0;
    for (int k = 0; k < kDim; ++k) {
      v[i * kDim + k] = (k == static_cast<int>(i % kDim) ? 3.0f : 0.0f) + 0.1f * (i + 1) * (k + 1);
      norm += v[i * kDim + k] * v[i * kDim + k];
    }
    for (int k = 0; k < kDim; ++k) v[i * kDim + k] /= std::sqrt(norm);
  }
  return v;
}

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rag-import-test-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    src_ = root_ / "python_db";
    out_ = root_ / "vector_db";
    fs::create_directories(src_);
    write(src_ / "documents.pkl", unhex(testdata::kProtocol4));
    nlohmann::json meta = nlohmann::json::array();
    for (std::size_t i = 0; i < kTexts.size(); ++i) {
      meta.push_back({{"source", i < 3 ? "docs/a.md" : "docs/b.md"},
                      {"chunk_id", i},
                      {"citation_url", i < 3 ? "/a" : "/b"},
                      {"page_title", "T"},
                      {"position", i}});
    }
    write(src_ / "metadata.json", meta.dump());
    write(src_ / "build_info.json",
          R"({"total_documents": 2, "total_chunks": 5, "embedding_dimension": 4,
              "build_timestamp": "2024-01-15T10:30:45.123456"})");
    write_faiss("Flat", faiss::METRIC_INNER_PRODUCT, kTexts.size());
  }
  void TearDown() override { fs::remove_all(root_); }

  void write_faiss(const char* factory, faiss::MetricType metric, std::size_t n) {
    std::unique_ptr<faiss::Index> index(faiss::index_factory(kDim, factory, metric));
    auto v = vectors(n);
    if (!index->is_trained) index->train(static_cast<faiss::Index::idx_t>(n), v.data());
    index->add(static_cast<faiss::Index::idx_t>(n), v.data());
    faiss::write_index(index.get(), (src_ / "vector.index").c_str());
  }

  ImportOptions options() const {
    ImportOptions o;
    o.source_dir = src_;
    o.out_dir = out_;
    o.configured_model = "emb";
    return o;
  }

  // The folder holds nothing but what the test put there: no index, no temporary folder.
  void expect_nothing_written(const fs::path& dir) {
    if (!fs::exists(dir)) return;
    for (const auto& e : fs::directory_iterator(dir)) {
      const auto name = e.path().filename().string();
      EXPECT_FALSE(name.starts_with("index.sqlite") || name.starts_with(".import-faiss")) << name;
    }
  }

  fs::path root_, src_, out_;
};

TEST_F(ImporterTest, WritesAnIndexTheServerLoadsWithEveryVectorTextAndMetadata) {
  auto s = import_faiss(options());
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->chunks, 5u);
  EXPECT_EQ(s->documents, 2u);
  EXPECT_EQ(s->dimension, kDim);
  EXPECT_EQ(s->index_type, "IndexFlatIP");
  EXPECT_EQ(s->non_unit_vectors, 0u);
  EXPECT_THAT(s->describe(),
              HasSubstr("imported 5 chunks (2 documents), dimension 4, model 'emb'"));

  auto reader = store::IndexReader::open(out_);
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  auto info = (*reader)->info();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->chunks, 5u);
  EXPECT_EQ(info->embedded_chunks, 5u);
  EXPECT_EQ(info->dimension, kDim);
  EXPECT_EQ(info->embedding_model, "emb");
  auto chunks = (*reader)->load_chunks();
  ASSERT_TRUE(chunks.has_value());
  const auto v = vectors(5);
  for (const auto& c : *chunks) {
    auto meta = c.metadata.api_json(c.chunk_id);
    const std::size_t pos = meta["position"];
    EXPECT_EQ(c.text, kTexts[pos]);
    EXPECT_EQ(meta["chunk_id"], c.chunk_id);
    ASSERT_EQ(c.embedding.size(), static_cast<std::size_t>(kDim));
    for (int k = 0; k < kDim; ++k) EXPECT_FLOAT_EQ(c.embedding[k], v[pos * kDim + k]);
  }
  auto built = nlohmann::json::parse(std::ifstream(out_ / "build_info.json"));
  EXPECT_EQ(built["total_chunks"], 5);
  EXPECT_EQ(built["embedding_dimension"], kDim);
  expect_nothing_written(root_);  // no index.sqlite-wal or temporary folder is left behind

  // A later `rag-server index` run opens it as its own: nothing left to embed for the model.
  auto writer = store::IndexWriter::open(out_);
  ASSERT_TRUE(writer.has_value()) << writer.error().message;
  auto pending = (*writer)->chunks_needing_embedding("emb");
  ASSERT_TRUE(pending.has_value());
  EXPECT_TRUE(pending->empty());
}

TEST_F(ImporterTest, InPlaceKeepsThePythonFilesAndTheirBuildInfo) {
  auto o = options();
  o.out_dir = src_;
  const std::string python_info = [&] {
    std::ifstream in(src_ / "build_info.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  ASSERT_TRUE(import_faiss(o).has_value());
  EXPECT_TRUE(fs::exists(src_ / "index.sqlite"));
  for (const char* f : {"vector.index", "metadata.json", "documents.pkl"}) {
    EXPECT_TRUE(fs::exists(src_ / f)) << f;
  }
  std::ifstream kept(src_ / "build_info.python.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), python_info);
}

TEST_F(ImporterTest, RefusesToReplaceAnIndexUnlessForced) {
  ASSERT_TRUE(import_faiss(options()).has_value());
  auto again = import_faiss(options());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(again.error().message, HasSubstr("--force"));
  auto o = options();
  o.force = true;
  o.model = "other-model";
  auto forced = import_faiss(o);
  ASSERT_TRUE(forced.has_value()) << forced.error().message;
  auto info = (*store::IndexReader::open(out_))->info();
  EXPECT_EQ(info->embedding_model, "other-model");
}

TEST_F(ImporterTest, CountMismatchWritesNothing) {
  write_faiss("Flat", faiss::METRIC_INNER_PRODUCT, 6);
  auto r = import_faiss(options());
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("vector.index has 6 vectors, documents.pkl 5 texts"));
  expect_nothing_written(out_);

  write_faiss("Flat", faiss::METRIC_INNER_PRODUCT, 5);
  write(src_ / "metadata.json", R"([{"source": "a"}])");
  r = import_faiss(options());
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("metadata.json has 1 entries"));
  expect_nothing_written(out_);
}

TEST_F(ImporterTest, MaliciousPickleWritesNothing) {
  write(src_ / "documents.pkl", unhex(testdata::kEvilP2));
  auto r = import_faiss(options());
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("documents.pkl: unsupported pickle at offset 5"));
  EXPECT_THAT(r.error().message, HasSubstr("GLOBAL"));
  expect_nothing_written(out_);
}

TEST_F(ImporterTest, AcceptsExactStoresAndRefusesLossyOnes) {
  write_faiss("Flat", faiss::METRIC_L2, 5);
  auto l2 = import_faiss(options());
  ASSERT_TRUE(l2.has_value()) << l2.error().message;
  EXPECT_EQ(l2->index_type, "IndexFlatL2");
  fs::remove_all(out_);
  write_faiss("HNSW8", faiss::METRIC_INNER_PRODUCT, 5);
  auto hnsw = import_faiss(options());
  ASSERT_TRUE(hnsw.has_value()) << hnsw.error().message;
  EXPECT_EQ(hnsw->index_type, "IndexHNSWFlat");
  fs::remove_all(out_);
  write_faiss("SQ8", faiss::METRIC_INNER_PRODUCT, 5);
  auto sq = import_faiss(options());
  ASSERT_FALSE(sq.has_value());
  EXPECT_THAT(sq.error().message, HasSubstr("holds a FAISS IndexScalarQuantizer"));
  expect_nothing_written(out_);
  write(src_ / "vector.index", "not a faiss file");
  EXPECT_EQ(import_faiss(options()).error().code, ErrorCode::kCorrupt);
  // A flat file cut short claims more vectors than it holds: refused before FAISS allocates.
  write_faiss("Flat", faiss::METRIC_INNER_PRODUCT, 5);
  fs::resize_file(src_ / "vector.index", 60);
  auto cut = import_faiss(options());
  ASSERT_FALSE(cut.has_value());
  EXPECT_EQ(cut.error().code, ErrorCode::kCorrupt);
  EXPECT_THAT(cut.error().message, HasSubstr("claims 5 vectors of dimension 4"));
  expect_nothing_written(out_);
}

// An IndexHNSWFlat whose nested storage holds 5 vectors of dimension 8 under a header of
// dimension 4: FAISS 1.7.3 reads it, and reconstruct_n wrote 40 floats into room for 20.
TEST_F(ImporterTest, RefusesAnHnswFileWhoseStorageDisagreesWithItsHeader) {
  write_faiss("HNSW8", faiss::METRIC_INNER_PRODUCT, 5);
  std::ifstream in(src_ / "vector.index", std::ios::binary);
  std::string hnsw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  faiss::IndexFlatIP narrow(kDim), wide(2 * kDim);
  auto v = vectors(10);
  narrow.add(5, v.data());
  wide.add(5, v.data());
  auto bytes = [](const faiss::Index& index) {
    faiss::VectorIOWriter w;
    faiss::write_index(&index, &w);
    return std::string(w.data.begin(), w.data.end());
  };
  write(src_ / "vector.index", hnsw.substr(0, hnsw.size() - bytes(narrow).size()) + bytes(wide));
  auto r = import_faiss(options());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  expect_nothing_written(out_);
}

TEST_F(ImporterTest, ModelComesFromFlagConfigOrBuildInfo) {
  auto o = options();
  o.configured_model.clear();
  auto none = import_faiss(o);
  ASSERT_FALSE(none.has_value());
  EXPECT_THAT(none.error().message, HasSubstr("--model"));
  expect_nothing_written(out_);
  write(src_ / "build_info.json", R"({"total_chunks": 5, "embedding_model": "ada"})");
  auto from_info = import_faiss(o);
  ASSERT_TRUE(from_info.has_value()) << from_info.error().message;
  EXPECT_EQ(from_info->model, "ada");
}

TEST_F(ImporterTest, DimensionDisagreementAndMissingFilesAreErrors) {
  write(src_ / "build_info.json", R"({"embedding_dimension": 1536})");
  auto r = import_faiss(options());
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("dimension 4, build_info.json says 1536"));
  fs::remove(src_ / "documents.pkl");
  EXPECT_EQ(import_faiss(options()).error().code, ErrorCode::kNotFound);
  expect_nothing_written(out_);
}

TEST_F(ImporterTest, RemovesTheLeftoversOfAKilledImport) {
  fs::create_directories(out_ / ".import-faiss-2147483646");
  write(out_ / ".import-faiss-2147483646" / "index.sqlite", "half");
  ASSERT_TRUE(import_faiss(options()).has_value());
  EXPECT_FALSE(fs::exists(out_ / ".import-faiss-2147483646"));
}

}  // namespace
}  // namespace rag::migrate
