// VectorIndex: IVF search agrees with exact search, the stored indexes round-trip, and a file
// for anything else is refused. code_scan's kernels agree with a plain loop.
#include "retrieval/vector_index.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <set>

#include "retrieval/code_scan.hpp"

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
  options.kind = VectorIndexKind::kHnsw;
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

std::unique_ptr<VectorIndex> ivf(const std::vector<float>& data, std::size_t probes) {
  VectorIndexOptions options;
  options.kind = VectorIndexKind::kIvf;
  options.ivf_lists = 8;
  options.ivf_probes = probes;
  auto built = VectorIndex::build(data, data.size() / kDim, kDim, options);
  EXPECT_TRUE(built) << built.error().message;
  return built ? std::move(*built) : nullptr;
}

std::vector<float> row(const std::vector<float>& data, std::size_t i) {
  return {data.begin() + static_cast<std::ptrdiff_t>(i * kDim),
          data.begin() + static_cast<std::ptrdiff_t>((i + 1) * kDim)};
}

TEST(VectorIndexIvf, ProbingEveryListFindsWhatExactSearchFinds) {
  const auto data = random_vectors(kCount, 1);
  auto exact = VectorIndex::build(data, kCount, kDim);
  ASSERT_TRUE(exact);
  ASSERT_EQ((*exact)->kind(), VectorIndexKind::kExact);
  auto index = ivf(data, 8);
  ASSERT_EQ(index->kind(), VectorIndexKind::kIvf);
  EXPECT_TRUE(index->approximate());
  const auto queries = random_vectors(30, 2);
  std::size_t found = 0;
  for (std::size_t q = 0; q < 30; ++q) {
    const auto query = row(queries, q);
    const auto truth = ids(**exact, query);
    const std::set<std::int64_t> expected(truth.begin(), truth.end());
    auto hits = index->search(query, 10);
    ASSERT_TRUE(hits);
    ASSERT_EQ(hits->size(), 10u);
    auto normalised = query;
    VectorIndex::normalise(normalised.data(), kDim);
    for (std::size_t i = 0; i < hits->size(); ++i) {
      const auto& hit = (*hits)[i];
      found += expected.count(hit.id);
      // The scan's score is the similarity of the vector as coded, best first.
      EXPECT_NEAR(hit.similarity, index->similarity(normalised, hit.id), 1e-5);
      EXPECT_NEAR(hit.similarity, (*exact)->similarity(normalised, hit.id), 0.02);
      if (i > 0) {
        EXPECT_GE((*hits)[i - 1].similarity, hit.similarity);
      }
    }
  }
  // 8-bit codes may swap near ties at the tenth place, no more.
  EXPECT_GE(static_cast<double>(found) / 300.0, 0.95);
}

TEST(VectorIndexIvf, FewerProbesFindAStoredVectorItself) {
  const auto data = random_vectors(kCount, 3);
  auto index = ivf(data, 1);
  for (std::size_t i = 0; i < kCount; i += 37) {
    auto hits = index->search(row(data, i), 1);  // its own list is the nearest centroid's
    ASSERT_TRUE(hits);
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().id, static_cast<std::int64_t>(i));
  }
}

TEST(VectorIndexIvf, SavedIndexLoadsAndSearchesTheSame) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.faiss";
  const auto data = random_vectors(kCount, 1);
  auto built = ivf(data, 3);
  ASSERT_TRUE(built->save(file, "IVF of 300"));
  VectorIndexOptions options;
  options.ivf_probes = 3;
  auto loaded = VectorIndex::load(file, "IVF of 300", kDim, options);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->index->kind(), VectorIndexKind::kIvf);
  const auto queries = random_vectors(20, 2);
  for (std::size_t q = 0; q < 20; ++q) {
    EXPECT_EQ(ids(*loaded->index, row(queries, q)), ids(*built, row(queries, q)));
  }
}

// Changes that remove every fifth base vector and add kCount / 2 new ones, every vector of the
// whole at a shuffled id: what with_changes and update() are given alike.
struct SomeChanges {
  explicit SomeChanges(const VectorIndex& base) : added(random_vectors(kAdded, 9)) {
    const std::size_t kept = kCount - kCount / 5;
    std::vector<std::int64_t> ids(kept + kAdded);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<std::int64_t>(i);
    std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
    auto next = ids.begin();
    for (std::size_t b = 0; b < kCount; ++b) changes.base_ids.push_back(b % 5 == 0 ? -1 : *next++);
    changes.added_ids.assign(next, ids.end());
    auto encoded = base.encode(added, kAdded);
    EXPECT_TRUE(encoded) << encoded.error().message;
    changes.added_lists = std::move(encoded->lists);
    changes.added_codes = std::move(encoded->codes);
  }
  static constexpr std::size_t kAdded = kCount / 2;
  std::vector<float> added;
  VectorChanges changes;
};

TEST(VectorIndexIvf, ChangesSearchExactlyAsTheUpdatedIndex) {
  const auto data = random_vectors(kCount, 1);
  std::shared_ptr<const VectorIndex> base = ivf(data, 3);
  SomeChanges some(*base);
  VectorIndexOptions options;
  options.ivf_probes = 3;
  auto updated = VectorIndex::update(*base, some.changes.base_ids, some.added,
                                     some.changes.added_ids, options);
  ASSERT_TRUE(updated) << updated.error().message;
  auto changed = VectorIndex::with_changes(base, some.changes);
  ASSERT_TRUE(changed) << changed.error().message;
  ASSERT_EQ((*changed)->size(), (*updated)->size());
  const auto queries = random_vectors(40, 5);
  for (std::size_t q = 0; q < 40; ++q) {
    auto query = row(queries, q);
    const auto expected = (*updated)->search(query, 10);
    const auto got = (*changed)->search(query, 10);
    ASSERT_TRUE(expected && got);
    ASSERT_EQ(got->size(), expected->size());
    for (std::size_t i = 0; i < got->size(); ++i) {
      EXPECT_EQ((*got)[i].id, (*expected)[i].id);
      EXPECT_EQ((*got)[i].similarity, (*expected)[i].similarity);
    }
    VectorIndex::normalise(query.data(), kDim);
    for (std::int64_t id = 0; id < static_cast<std::int64_t>((*changed)->size()); id += 7) {
      EXPECT_EQ((*changed)->similarity(query, id), (*updated)->similarity(query, id)) << id;
    }
  }
  // A removed base vector is never found, even for itself.
  for (std::size_t b = 0; b < kCount; b += 5) {
    auto hits = (*changed)->search(row(data, b), 1);
    ASSERT_TRUE(hits && hits->size() == 1u);
    EXPECT_NE((*hits)[0].similarity, 1.0f);
  }
}

TEST(VectorIndexIvf, ChangesThatDoNotFitTheBaseAreRefused) {
  const auto data = random_vectors(kCount, 1);
  std::shared_ptr<const VectorIndex> base = ivf(data, 3);
  const SomeChanges some(*base);
  ASSERT_TRUE(VectorIndex::with_changes(base, some.changes));
  const auto refused = [&](auto&& damage, const char* what) {
    auto changes = some.changes;
    damage(changes);
    auto applied = VectorIndex::with_changes(base, changes);
    ASSERT_FALSE(applied) << what;
    EXPECT_EQ(applied.error().code, ErrorCode::kCorrupt) << what;
  };
  refused([](VectorChanges& c) { c.base_ids.pop_back(); }, "a base vector short");
  refused([](VectorChanges& c) { c.base_ids[1] = c.base_ids[2]; }, "an id twice");
  refused([](VectorChanges& c) { c.added_ids[0] = 1 << 20; }, "an id out of range");
  refused([](VectorChanges& c) { c.added_ids[0] = -1; }, "a negative id");
  refused([](VectorChanges& c) { c.added_lists[0] = 8; }, "a list out of range");
  refused([](VectorChanges& c) { c.added_codes.pop_back(); }, "a code short");
  refused([](VectorChanges& c) { c.added_lists.pop_back(); }, "a list short");
  // Only an IVF index takes changes.
  std::shared_ptr<const VectorIndex> exact = std::move(*VectorIndex::build(data, kCount, kDim));
  EXPECT_EQ(VectorIndex::with_changes(exact, some.changes).error().code,
            ErrorCode::kInvalidArgument);
}

TEST(VectorIndexIvf, TheTrainedPartAloneEncodesAsTheWholeIndex) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.faiss";
  const auto data = random_vectors(kCount, 1);
  auto built = ivf(data, 3);
  ASSERT_TRUE(built->save(file, "IVF of 300"));
  auto trained = VectorIndex::load(file, "IVF of 300", kDim, {}, VectorIndex::Part::kTrained);
  ASSERT_TRUE(trained) << trained.error().message;
  EXPECT_EQ(trained->index->size(), 0u);
  EXPECT_EQ(trained->rows.size(), kCount);
  const auto vectors = random_vectors(20, 4);
  auto a = trained->index->encode(vectors, 20);
  auto b = built->encode(vectors, 20);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->lists, b->lists);
  EXPECT_EQ(a->codes, b->codes);
  EXPECT_FALSE(trained->index->encode(vectors, 21));  // not of that shape
}

// Loads `ivf` as VectorIndex::load would find it in a file saved for it: FAISS's part (the
// index with empty lists), then the lists (docs/INDEX-FORMAT.md).
Result<StoredVectors> load_as_saved(const faiss::IndexIVFScalarQuantizer& ivf,
                                    const std::filesystem::path& dir) {
  faiss::IndexIVFScalarQuantizer shell(ivf.quantizer, ivf.d, ivf.nlist, ivf.sq.qtype,
                                       faiss::METRIC_INNER_PRODUCT, ivf.by_residual);
  shell.sq = ivf.sq;
  shell.is_trained = true;
  const auto faiss_part = dir / "faiss";
  faiss::write_index(&shell, faiss_part.c_str());
  std::ifstream in(faiss_part, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::string lists;
  const auto& array = dynamic_cast<const faiss::ArrayInvertedLists&>(*ivf.invlists);
  for (std::size_t l = 0; l < ivf.nlist; ++l) {
    const std::uint64_t size = array.ids[l].size();
    lists.append(reinterpret_cast<const char*>(&size), sizeof size);
  }
  for (std::size_t l = 0; l < ivf.nlist; ++l) {
    lists.append(reinterpret_cast<const char*>(array.ids[l].data()),
                 array.ids[l].size() * sizeof(faiss::Index::idx_t));
    lists.append(reinterpret_cast<const char*>(array.codes[l].data()), array.codes[l].size());
  }
  char shape[64];
  std::snprintf(shape, sizeof shape, "%zu %d %020zu\n", kCount, kDim, bytes.size());
  const std::string rows(kCount * (sizeof(std::uint32_t) + sizeof(std::int64_t)), '\0');
  const auto file = dir / "vectors.faiss";
  std::ofstream(file, std::ios::binary) << "rag-server vector index 4\nstamp\n"
                                        << shape << "model\n"
                                        << bytes << lists << rows;
  return VectorIndex::load(file, "stamp", kDim);
}

// An IVF index made by FAISS directly, as a file could hold it.
struct FaissIvf {
  explicit FaissIvf(bool by_residual)
      : index(&quantizer, kDim, 4, faiss::ScalarQuantizer::QT_8bit, faiss::METRIC_INNER_PRODUCT) {
    index.by_residual = by_residual;
    const auto data = random_vectors(kCount, 1);
    index.train(kCount, data.data());
    index.add(kCount, data.data());
  }
  faiss::ArrayInvertedLists& lists() {
    return dynamic_cast<faiss::ArrayInvertedLists&>(*index.invlists);
  }
  faiss::IndexFlatIP quantizer{kDim};
  faiss::IndexIVFScalarQuantizer index;
};

// Refused as corrupt, for the reason the message names.
void expect_refused(const Result<StoredVectors>& loaded,
                    std::string_view because = "does not match") {
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(loaded.error().message.find(because), std::string::npos) << loaded.error().message;
}

TEST(VectorIndexIvf, AWellFormedFaissFileLoads) {
  ScratchDir dir;
  FaissIvf ivf(false);
  auto loaded = load_as_saved(ivf.index, dir.path());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->index->kind(), VectorIndexKind::kIvf);
}

TEST(VectorIndexIvf, AnIvfIndexOfAnotherLayoutIsRefused) {
  // Codes relative to their list's centroid (FAISS's default) would be scanned wrongly: the
  // layout check refuses them before FAISS reads the file (faiss_layout.hpp).
  ScratchDir dir;
  FaissIvf residual(true);
  expect_refused(load_as_saved(residual.index, dir.path()), "rag-server writes");
}

TEST(VectorIndexIvf, AFaissPartThatFaissWouldTrustIsRefusedBeforeItReadsIt) {
  // The quantizer's count of centroids raised far past the file: FAISS 1.7.3 would allocate it.
  ScratchDir dir;
  const auto file = dir.path() / "vectors.faiss";
  ASSERT_TRUE(ivf(random_vectors(kCount, 1), 3)->save(file, "IVF of 300"));
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto quantizer = bytes.find("IxFI");
  ASSERT_NE(quantizer, std::string::npos);
  const std::int64_t centroids = std::int64_t{1} << 40;
  std::memcpy(bytes.data() + quantizer + 8, &centroids, sizeof centroids);
  std::ofstream(file, std::ios::binary) << bytes;
  expect_refused(VectorIndex::load(file, "IVF of 300", kDim), "does not hold them");
}

TEST(VectorIndexIvf, ListsThatDoNotHoldEachVectorOnceAreRefused) {
  // FAISS reads the ids a file gives without checking them; the snapshot maps them to chunks.
  ScratchDir dir;
  {
    FaissIvf far_id(false);
    far_id.lists().ids[1][0] = kCount;  // no such vector
    expect_refused(load_as_saved(far_id.index, dir.path()));
  }
  {
    FaissIvf twice(false);
    twice.lists().ids[1][0] = twice.lists().ids[0][0];  // one vector twice, another never
    expect_refused(load_as_saved(twice.index, dir.path()));
  }
}

TEST(VectorIndexOptions, AutoIsExactBelowTheThresholdAndIvfFromIt) {
  VectorIndexOptions options;
  options.approximate_threshold = 100;
  EXPECT_EQ(options.kind_for(99), VectorIndexKind::kExact);
  EXPECT_EQ(options.kind_for(100), VectorIndexKind::kIvf);
  options.kind = VectorIndexKind::kHnsw;
  EXPECT_EQ(options.kind_for(1), VectorIndexKind::kHnsw);
  options.kind = VectorIndexKind::kExact;
  EXPECT_EQ(options.kind_for(1000000), VectorIndexKind::kExact);
}

TEST(CodeScan, KernelsAgreeWithAPlainLoopAtEverySize) {
  std::mt19937 random(5);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::size_t n : {1, 7, 15, 16, 17, 31, 32, 33, 63, 100, 1536}) {
    std::vector<float> weight(n);
    std::vector<std::uint8_t> codes(n);
    double expected = 0;
    for (std::size_t i = 0; i < n; ++i) {
      weight[i] = uniform(random);
      codes[i] = static_cast<std::uint8_t>(byte(random));
      expected += static_cast<double>(weight[i]) * codes[i];
    }
    EXPECT_NEAR(code_dot(weight, codes.data()), expected, 1e-4 * (1 + std::abs(expected)))
        << n << " dimensions";
    for (const auto& kernel : code_dot_kernels()) {
      EXPECT_NEAR(kernel.dot(weight.data(), codes.data(), n), expected,
                  1e-4 * (1 + std::abs(expected)))
          << kernel.name << ", " << n << " dimensions";
    }
  }
}

TEST(VectorIndexFile, SavedGraphLoadsAndSearchesTheSame) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.faiss";
  const auto data = random_vectors(kCount, 1);
  auto built = hnsw(data);
  ASSERT_TRUE(built->approximate());
  std::vector<std::uint32_t> rows(kCount);
  for (std::uint32_t i = 0; i < kCount; ++i) rows[i] = 2 * i + 1;  // the chunk of each vector
  ASSERT_TRUE(
      built->save(file, "7@2026-11-25T06:00:00", {.rows = rows, .row_ids = {}, .model = {}}));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "vectors.faiss.tmp"));
  EXPECT_EQ(VectorIndex::saved_stamp(file), "7@2026-11-25T06:00:00");

  auto stored = VectorIndex::load(file, "7@2026-11-25T06:00:00", kDim);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->rows, rows);
  const auto& loaded = stored->index;
  EXPECT_TRUE(loaded->approximate());
  EXPECT_EQ(loaded->size(), kCount);
  const auto queries = random_vectors(20, 2);
  for (std::size_t q = 0; q < 20; ++q) {
    const std::vector<float> query(queries.begin() + q * kDim, queries.begin() + (q + 1) * kDim);
    EXPECT_EQ(ids(*loaded, query), ids(*built, query));
    auto normalised = query;
    VectorIndex::normalise(normalised.data(), kDim);
    EXPECT_FLOAT_EQ(loaded->similarity(normalised, 5), built->similarity(normalised, 5));
  }
}

TEST(VectorIndexFile, RefusesAFileSavedForAnotherIndex) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.faiss";
  ASSERT_TRUE(hnsw(random_vectors(kCount, 1))->save(file, "7@t"));
  auto other_stamp = VectorIndex::load(file, "8@t", kDim);
  ASSERT_FALSE(other_stamp);
  EXPECT_EQ(other_stamp.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(other_stamp.error().message.find("other vectors (7@t; the index has 8@t)"),
            std::string::npos)
      << other_stamp.error().message;
  auto other_dimension = VectorIndex::load(file, "7@t", kDim + 1);
  ASSERT_FALSE(other_dimension);
  EXPECT_EQ(other_dimension.error().code, ErrorCode::kCorrupt);
  // One row per vector, or none (0, 1, 2...).
  auto short_rows =
      hnsw(random_vectors(kCount, 1))
          ->save(file, "7@t", {.rows = std::vector<std::uint32_t>(3), .row_ids = {}, .model = {}});
  ASSERT_FALSE(short_rows);
  EXPECT_EQ(short_rows.error().code, ErrorCode::kInvalidArgument);
  auto identity = VectorIndex::load(file, "7@t", kDim);
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->rows[17], 17u);
}

TEST(VectorIndexFile, MissingTruncatedAndForeignFilesAreErrorsNotCrashes) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.faiss";
  auto missing = VectorIndex::load(file, "1@t", kDim);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(VectorIndex::saved_stamp(file), "");

  ASSERT_TRUE(hnsw(random_vectors(kCount, 1))->save(file, "1@t"));
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size / 2);  // a copy cut short
  auto truncated = VectorIndex::load(file, "1@t", kDim);
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(truncated.error().message.find("cut short"), std::string::npos)
      << truncated.error().message;

  std::ofstream(file) << "not an index\n";
  auto foreign = VectorIndex::load(file, "1@t", kDim);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(VectorIndex::saved_stamp(file), "");
}

TEST(VectorIndexFile, SaveIntoAMissingFolderIsAnIoError) {
  ScratchDir dir;
  auto saved = hnsw(random_vectors(kCount, 1))->save(dir.path() / "no" / "vectors.faiss", "1@t");
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace rag::retrieval
