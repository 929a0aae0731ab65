#include "retrieval/snapshot.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "retrieval/stored_graph.hpp"
#include "retrieval/testing/test_corpus.hpp"

namespace rag::retrieval {
namespace {

using testing::make_chunk;
using testing::ScratchDir;
using testing::small_corpus;

std::shared_ptr<const Snapshot> build(std::vector<store::StoredChunk> chunks,
                                      SnapshotOptions options = {}) {
  auto snap = Snapshot::build(std::move(chunks), store::IndexInfo{}, "gen-1", options);
  EXPECT_TRUE(snap.has_value());
  return snap ? *snap : nullptr;
}

TEST(Snapshot, LexicalSearchReturnsTheMatchingChunkWithItsMetadata) {
  auto snap = build(small_corpus(false));
  EXPECT_FALSE(snap->has_vectors());
  EXPECT_EQ(snap->size(), 4u);
  EXPECT_EQ(snap->generation(), "gen-1");
  auto hits = snap->search("which port does the server listen on?", nullptr, 5);
  ASSERT_TRUE(hits.has_value());
  ASSERT_FALSE(hits->empty());
  const Hit& top = hits->front();
  EXPECT_EQ(top.chunk_id, 0);
  EXPECT_EQ(top.metadata.citation_url, "/config");
  EXPECT_EQ(top.metadata.page_title, "Configuration");
  EXPECT_GT(top.score, 0.3);
  EXPECT_LE(top.score, 1.0);
}

TEST(Snapshot, SourceListsTheChunksOfOneUrlInChunkOrder) {
  std::vector<store::StoredChunk> chunks;
  chunks.push_back(make_chunk(10, "Config intro.", "Configuration", "/config"));
  chunks.push_back(make_chunk(11, "Other page.", "API", "/api"));
  chunks.push_back(make_chunk(12, "Config rate limits.", "Configuration", "/config"));
  chunks.push_back(make_chunk(13, "A prefix of the url is another page.", "C", "/conf"));
  auto no_url = make_chunk(14, "No url.", "X", "");
  chunks.push_back(no_url);
  chunks.push_back(make_chunk(15, "Config end.", "Configuration", "/config"));
  auto snap = build(std::move(chunks));

  const auto config = snap->source("/config").value();
  ASSERT_EQ(config.size(), 3u);
  EXPECT_EQ(config[0].chunk_id, 10);
  EXPECT_EQ(config[1].content, "Config rate limits.");
  EXPECT_EQ(config[2].chunk_id, 15);
  EXPECT_EQ(config[0].metadata.page_title, "Configuration");
  EXPECT_EQ(config[0].metadata.section, "Intro");
  ASSERT_EQ(snap->source("/api")->size(), 1u);
  ASSERT_EQ(snap->source("/conf")->size(), 1u);
  EXPECT_TRUE(snap->source("/nope")->empty());
  EXPECT_TRUE(snap->source("")->empty());  // a chunk without a url is never a source
}

TEST(Snapshot, BlankAndStopWordQueriesFindNothing) {
  auto snap = build(small_corpus(false));
  EXPECT_TRUE(snap->search("", nullptr, 5)->empty());
  EXPECT_TRUE(snap->search("   ", nullptr, 5)->empty());
  EXPECT_TRUE(snap->search("the of and", nullptr, 5)->empty());
  EXPECT_TRUE(snap->search("port", nullptr, 0)->empty());
}

TEST(Snapshot, WeakLexicalMatchesFallUnderTheFloor) {
  auto snap = build(small_corpus(false));
  // "route" matches chunk 2 once, but the query's other words match nothing.
  EXPECT_TRUE(snap->search("route zebra giraffe elephant", nullptr, 5)->empty());
  EXPECT_FALSE(snap->search("route", nullptr, 5)->empty());
}

// Lexical search asks BM25 for the top k alone (snapshot.cpp): the answer must be what a deeper
// candidate list gives, cut at k, for every k; with many near-equal chunks, so that the filter
// keeps more than k.
TEST(Snapshot, LexicalResultsForKAreTheFirstKOfADeeperSearch) {
  const std::vector<std::string> words{"port",   "server",  "limit",   "session",
                                       "index",  "route",   "client",  "token",
                                       "expire", "address", "rebuild", "listen"};
  std::mt19937 random(7);
  const auto pick = [&](std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += words[random() % words.size()] + " ";
    return text;
  };
  std::vector<store::StoredChunk> chunks;
  for (std::int64_t id = 0; id < 300; ++id) {
    chunks.push_back(make_chunk(id, pick(3 + random() % 8), "T", "/t" + std::to_string(id)));
  }
  auto snap = build(std::move(chunks));
  std::size_t cut = 0;  // searches where the deeper list held more than k results
  for (int q = 0; q < 40; ++q) {
    const std::string query = pick(1 + random() % 4);
    const auto deep = snap->search(query, nullptr, 60);
    ASSERT_TRUE(deep.has_value());
    for (std::size_t k = 1; k <= 12; ++k) {
      const auto hits = snap->search(query, nullptr, k);
      ASSERT_TRUE(hits.has_value());
      ASSERT_EQ(hits->size(), std::min(k, deep->size())) << query << " k=" << k;
      for (std::size_t i = 0; i < hits->size(); ++i) {
        EXPECT_EQ((*hits)[i].chunk_id, (*deep)[i].chunk_id) << query << " k=" << k;
        EXPECT_EQ((*hits)[i].score, (*deep)[i].score) << query << " k=" << k;
      }
      cut += deep->size() > k ? 1 : 0;
    }
  }
  EXPECT_GT(cut, 200u);
}

TEST(Snapshot, TitleAndSectionAreSearchable) {
  auto snap = build(small_corpus(false));
  auto hits = snap->search("indexing", nullptr, 5);
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().chunk_id, 3);
}

TEST(Snapshot, HybridReportsCosineSimilarity) {
  auto snap = build(small_corpus(true));
  ASSERT_TRUE(snap->has_vectors());
  EXPECT_EQ(snap->dimension(), 3);
  const std::vector<float> query{2, 0, 0};  // not normalised on purpose
  auto hits = snap->search("unrelated words", &query, 5);
  ASSERT_TRUE(hits.has_value());
  ASSERT_EQ(hits->size(), 2u);  // cosine 0 for chunks 1 and 3: under the floor
  EXPECT_EQ((*hits)[0].chunk_id, 0);
  EXPECT_NEAR((*hits)[0].score, 1.0, 1e-6);
  EXPECT_EQ((*hits)[1].chunk_id, 2);
  EXPECT_NEAR((*hits)[1].score, std::sqrt(0.5), 1e-6);
}

TEST(Snapshot, HybridFusesLexicalEvidence) {
  auto snap = build(small_corpus(true));
  // The vector points between chunks 0 and 1 equally; the words pick chunk 1.
  const std::vector<float> query{1, 1, 0};
  auto hits = snap->search("session timeout inactivity", &query, 1);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().chunk_id, 1);
  // The reported score is the stronger evidence: the cosine or the lexical relevance.
  auto lexical = snap->search("session timeout inactivity", nullptr, 1);
  ASSERT_EQ(lexical->size(), 1u);
  EXPECT_NEAR(hits->front().score, std::max(std::sqrt(0.5), lexical->front().score), 1e-6);
  EXPECT_GT(lexical->front().score, std::sqrt(0.5));
}

TEST(Snapshot, RejectsAQueryVectorOfTheWrongDimension) {
  auto snap = build(small_corpus(true));
  const std::vector<float> query{1, 0};
  auto hits = snap->search("port", &query, 5);
  ASSERT_FALSE(hits.has_value());
  EXPECT_EQ(hits.error().code, ErrorCode::kInvalidArgument);
}

TEST(Snapshot, ChunksWithoutAMatchingVectorAreLexicalOnly) {
  auto chunks = small_corpus(true);
  chunks[3].embedding = {1, 2};  // wrong dimension
  chunks[2].embedding.clear();   // not embedded yet
  auto snap = build(std::move(chunks));
  EXPECT_EQ(snap->vector_count(), 2u);
  EXPECT_EQ(snap->info().embedded_chunks, 2u);
  // A vector query still finds the lexical-only chunk through its words.
  const std::vector<float> query{0, 0, 1};
  auto hits = snap->search("rate limits client address route", &query, 5);
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().chunk_id, 2);
}

TEST(Snapshot, ApproximateAboveTheThreshold) {
  SnapshotOptions options;
  options.vectors.approximate_threshold = 2;
  auto snap = build(small_corpus(true), options);
  const std::vector<float> query{0, 0, 1};
  auto hits = snap->search("nothing matches", &query, 1);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().chunk_id, 3);
}

// What `rag-server index` stores for the small corpus, loaded back as the server does.
StoredVectors stored_index(const std::filesystem::path& file) {
  SnapshotOptions options;
  options.vectors.approximate_threshold = 2;
  auto indexer_side = build(small_corpus(true), options);
  EXPECT_TRUE(indexer_side->approximate());
  const auto stamp = vector_stamp(VectorIndexKind::kIvf, 3, "g1");
  EXPECT_TRUE(indexer_side->vectors()->save(file, stamp));
  auto loaded = VectorIndex::load(file, stamp, 3);
  EXPECT_TRUE(loaded.has_value());
  return loaded ? std::move(*loaded) : StoredVectors{};
}

TEST(Snapshot, TakesStoredVectorsWithoutTheChunksEmbeddings) {
  ScratchDir dir;
  auto stored = stored_index(dir.path() / "vectors.faiss");
  auto chunks = small_corpus(false);  // texts only: the vectors come from the file
  auto lexical = LexicalIndex::build(chunks);
  auto snap = Snapshot::assemble(std::move(lexical), {}, {}, "g1", {}, &stored);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_TRUE((*snap)->approximate());
  EXPECT_EQ((*snap)->vector_count(), 4u);
  EXPECT_EQ((*snap)->info().dimension, 3);
  const std::vector<float> query{0, 0, 1};
  auto hits = (*snap)->search("nothing matches", &query, 1);
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().chunk_id, 3);
  EXPECT_NEAR(hits->front().score, 1.0, 0.01);
}

TEST(Snapshot, StoredRowsThatDoNotFitTheChunksAreRefused) {
  ScratchDir dir;
  for (const std::vector<std::uint32_t>& rows :
       {std::vector<std::uint32_t>{0, 1, 2}, {0, 1, 3, 2}, {0, 1, 1, 2}, {0, 1, 2, 4}}) {
    auto stored = stored_index(dir.path() / "vectors.faiss");
    stored.rows = rows;
    auto snap =
        Snapshot::assemble(LexicalIndex::build(small_corpus(false)), {}, {}, "g1", {}, &stored);
    ASSERT_FALSE(snap);
    EXPECT_EQ(snap.error().code, ErrorCode::kInternal);
  }
}

TEST(StoredGraph, TheStampIsTheKindDimensionAndContent) {
  EXPECT_EQ(vector_stamp(VectorIndexKind::kIvf, 3, "id:7"),
            "IVF index of vectors of dimension 3, content id:7");
  EXPECT_NE(vector_stamp(VectorIndexKind::kHnsw, 3, "id:7"),
            vector_stamp(VectorIndexKind::kIvf, 3, "id:7"));
  EXPECT_NE(vector_stamp(VectorIndexKind::kIvf, 3, "id:8"),
            vector_stamp(VectorIndexKind::kIvf, 3, "id:7"));
}

TEST(Snapshot, MalformedMetadataIsTolerated) {
  std::vector<store::StoredChunk> chunks{make_chunk(0, "alpha beta gamma", "T", "/t")};
  chunks[0].metadata = store::ChunkMetadata::parse("not json");
  auto snap = build(std::move(chunks));
  auto hits = snap->search("alpha beta gamma", nullptr, 5);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().metadata.citation_url, "");
}

}  // namespace
}  // namespace rag::retrieval
