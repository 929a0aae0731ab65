// update_stored_graph over a real index folder (SQLite store): written once per generation,
// removed below the threshold, and what the server then loads.
#include "retrieval/stored_graph.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "retrieval/lexical_file.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/testing/test_corpus.hpp"
#include "retrieval/vector_changes.hpp"
#include "store/index_writer.hpp"

namespace rag::retrieval {
namespace {

using testing::ScratchDir;
using Outcome = GraphUpdate::Outcome;

constexpr int kGraphDim = 8;

// Adds `documents` one-chunk documents (named from `first`) and embeds every chunk.
void add_documents(const std::filesystem::path& dir, int first, int documents) {
  auto writer = store::IndexWriter::open(dir);
  ASSERT_TRUE(writer) << writer.error().message;
  auto& w = **writer;
  ASSERT_TRUE(w.begin_batch());
  for (int i = first; i < first + documents; ++i) {
    const std::string text = "document number " + std::to_string(i);
    ASSERT_TRUE(w.replace_document(
        {"doc" + std::to_string(i) + ".md", "sha" + std::to_string(i), 1, 1},
        {{text, store::ChunkMetadata::parse(R"({"source":"doc.md","content_hash":"hash-)" + text +
                                            "\"}")}},
        ""));
  }
  ASSERT_TRUE(w.commit_batch());
  auto pending = w.chunks_needing_embedding("model");
  ASSERT_TRUE(pending);
  std::mt19937 random(static_cast<unsigned>(first));
  std::normal_distribution<float> normal;
  std::vector<std::int64_t> rows;
  std::vector<std::vector<float>> vectors;
  for (const auto& chunk : *pending) {
    rows.push_back(chunk.row_id);
    std::vector<float> v(kGraphDim);
    for (auto& x : v) x = normal(random);
    vectors.push_back(std::move(v));
  }
  ASSERT_TRUE(w.store_embeddings(rows, vectors, "model"));
  ASSERT_TRUE(w.finish());
}

// The SQLite reader, counting the loads that read the chunks' embeddings.
class CountingReader : public store::IndexReader {
 public:
  CountingReader(std::unique_ptr<store::IndexReader> reader, int& vector_loads)
      : reader_(std::move(reader)), vector_loads_(vector_loads) {}
  Result<store::IndexInfo> info() const override { return reader_->info(); }
  Result<std::vector<store::StoredChunk>> load_chunks(Columns columns) const override {
    ++vector_loads_;  // both kinds of columns hold the embeddings
    return reader_->load_chunks(columns);
  }
  Result<std::string> generation() const override { return reader_->generation(); }
  Result<std::string> content_generation() const override { return reader_->content_generation(); }

 private:
  std::unique_ptr<store::IndexReader> reader_;
  int& vector_loads_;
};

VectorIndexOptions approximate_from(std::size_t threshold) {
  VectorIndexOptions options;
  options.approximate_threshold = threshold;
  return options;
}

TEST(StoredGraph, WrittenOncePerGenerationAndLoadedByTheServer) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 40);
  auto first = update_stored_graph(dir.path(), approximate_from(10));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->outcome, Outcome::kWritten);
  EXPECT_EQ(first->vectors, 40u);
  EXPECT_TRUE(std::filesystem::exists(graph_path(dir.path())));
  EXPECT_EQ(update_stored_graph(dir.path(), approximate_from(10))->outcome, Outcome::kUpToDate);

  SnapshotOptions served;
  served.vectors = approximate_from(10);
  const auto path = dir.path();
  LiveIndex live([path] { return store::IndexReader::open(path); }, served,
                 std::make_unique<StoredGraph>(graph_path(path)));
  auto loaded = live.reload();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(loaded->approximate());
  EXPECT_FALSE(loaded->awaiting_graph);
  EXPECT_EQ(loaded->vectors, 40u);

  // A change to the index makes the stored graph stale until the next update writes it again.
  add_documents(dir.path(), 40, 5);
  auto stale = live.reload_if_changed();
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->reloaded);
  EXPECT_TRUE(stale->awaiting_graph);
  EXPECT_NE(stale->graph_note.find("was built for other vectors"), std::string::npos)
      << stale->graph_note;
  auto again = update_stored_graph(dir.path(), approximate_from(10));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, Outcome::kWritten);
  EXPECT_EQ(again->vectors, 45u);
  auto fresh = live.reload_if_changed();
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(fresh->reloaded);
  EXPECT_TRUE(fresh->approximate());
}

TEST(StoredGraph, AServerWithBothStoredFilesReadsNoVector) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 40);
  ASSERT_TRUE(update_lexical_index(dir.path()));
  ASSERT_EQ(update_stored_graph(dir.path(), approximate_from(10))->outcome, Outcome::kWritten);
  SnapshotOptions served;
  served.vectors = approximate_from(10);
  const auto path = dir.path();
  int vector_loads = 0;
  LiveIndex live(
      [&]() -> Result<std::unique_ptr<store::IndexReader>> {
        auto reader = store::IndexReader::open(path);
        if (!reader) return std::unexpected(reader.error());
        return std::make_unique<CountingReader>(std::move(*reader), vector_loads);
      },
      served, std::make_unique<StoredGraph>(graph_path(path)), lexical_index_path(path));
  auto loaded = live.reload();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(loaded->lexical_stored);
  EXPECT_TRUE(loaded->approximate());
  EXPECT_EQ(loaded->vectors, 40u);
  EXPECT_EQ(vector_loads, 0);
  // Chunk i's own vector is its nearest: the rows are the chunks' rows.
  auto chunks = (*store::IndexReader::open(path))->load_chunks();
  ASSERT_TRUE(chunks);
  for (const std::size_t i : {0, 17, 39}) {
    auto hits = live.current()->search("", &(*chunks)[i].embedding, 1);
    ASSERT_TRUE(hits);
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ(hits->front().chunk_id, (*chunks)[i].chunk_id);
  }
}

TEST(StoredGraph, ARunThatChangedNoVectorKeepsTheGraph) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 12);
  ASSERT_EQ(update_stored_graph(dir.path(), approximate_from(10))->outcome, Outcome::kWritten);
  const auto written = std::filesystem::last_write_time(graph_path(dir.path()));
  {  // what an `index` run over unchanged files does: a new generation, the same content
    auto writer = store::IndexWriter::open(dir.path());
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->finish());
  }
  EXPECT_EQ(update_stored_graph(dir.path(), approximate_from(10))->outcome, Outcome::kUpToDate);
  EXPECT_EQ(std::filesystem::last_write_time(graph_path(dir.path())), written);
}

TEST(StoredGraph, BelowTheThresholdNoGraphAndAStaleOneIsRemoved) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 12);
  ASSERT_EQ(update_stored_graph(dir.path(), approximate_from(10))->outcome, Outcome::kWritten);
  auto below = update_stored_graph(dir.path(), approximate_from(100));
  ASSERT_TRUE(below);
  EXPECT_EQ(below->outcome, Outcome::kNotNeeded);
  EXPECT_FALSE(std::filesystem::exists(graph_path(dir.path())));
}

TEST(StoredGraph, NoIndexIsAnError) {
  ScratchDir dir;
  auto missing = update_stored_graph(dir.path() / "none", approximate_from(10));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace rag::retrieval

namespace rag::retrieval {
namespace {

// The vectors of the index's chunks, by chunk position (empty: no vector).
std::vector<std::vector<float>> vectors_by_position(const std::filesystem::path& dir) {
  auto reader = store::IndexReader::open(dir);
  EXPECT_TRUE(reader);
  auto chunks = (*reader)->load_chunks(store::IndexReader::Columns::kVectorsOnly);
  EXPECT_TRUE(chunks);
  std::vector<std::vector<float>> out;
  for (auto& c : *chunks) out.push_back(std::move(c.embedding));
  return out;
}

void remove_document(const std::filesystem::path& dir, const std::string& path) {
  auto writer = store::IndexWriter::open(dir);
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->begin_batch());
  ASSERT_TRUE((*writer)->remove_document(path));
  ASSERT_TRUE((*writer)->commit_batch());
  ASSERT_TRUE((*writer)->finish());
}

// What update_stored_graph stored for the index's current vectors, loaded as the server does.
std::optional<StoredVectors> load_current(const std::filesystem::path& dir, StoredGraph& graph,
                                          const VectorIndexOptions& options) {
  auto reader = store::IndexReader::open(dir);
  EXPECT_TRUE(reader);
  const auto stamp =
      vector_stamp(VectorIndexKind::kIvf, kGraphDim, *(*reader)->content_generation());
  return graph.load(stamp, kGraphDim, options);
}

TEST(StoredGraph, AFewChangedChunksAreStoredAsChangesKeepingTheOthersCodes) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 60);
  const auto options = approximate_from(10);
  ASSERT_EQ(update_stored_graph(dir.path(), options)->outcome, Outcome::kWritten);
  VectorIndexOptions every_list = options;
  every_list.ivf_probes = 1000;
  auto before = VectorIndex::load(graph_path(dir.path()), "", kGraphDim, every_list);
  ASSERT_TRUE(before) << before.error().message;
  const auto old_vectors = vectors_by_position(dir.path());
  const auto base_written = std::filesystem::last_write_time(graph_path(dir.path()));

  // doc7.md removed, two documents added (doc60.md, doc61.md: they sort among the others).
  remove_document(dir.path(), "doc7.md");
  add_documents(dir.path(), 60, 2);
  auto update = update_stored_graph(dir.path(), options);
  ASSERT_TRUE(update) << update.error().message;
  EXPECT_EQ(update->outcome, Outcome::kWritten);
  EXPECT_TRUE(update->incremental);
  EXPECT_TRUE(update->changes_only);
  EXPECT_EQ(update->added, 2u);
  EXPECT_EQ(update->removed, 1u);
  EXPECT_EQ(update->vectors, 61u);
  EXPECT_EQ(std::filesystem::last_write_time(graph_path(dir.path())), base_written);
  EXPECT_TRUE(std::filesystem::exists(vector_changes_path(dir.path())));

  StoredGraph graph(graph_path(dir.path()));
  auto after = load_current(dir.path(), graph, every_list);
  ASSERT_TRUE(after) << graph.status().note;
  // The rows are the chunks with a vector, in chunk order, as a full build gives them.
  const auto vectors = vectors_by_position(dir.path());
  ASSERT_EQ(after->rows.size(), 61u);
  ASSERT_EQ(after->index->size(), 61u);
  for (std::uint32_t id = 0; id < after->rows.size(); ++id) {
    EXPECT_EQ(after->rows[id], id) << "every chunk has a vector";
  }
  // Every vector is found first for itself, and a kept one scores as its stored code did.
  for (std::uint32_t id = 0; id < vectors.size(); ++id) {
    auto query = vectors[id];
    auto hits = after->index->search(query, 1);
    ASSERT_TRUE(hits && !hits->empty());
    EXPECT_EQ(hits->front().id, id);
    VectorIndex::normalise(query.data(), kGraphDim);
    const auto was = std::ranges::find(old_vectors, vectors[id]);
    if (was != old_vectors.end()) {
      const auto old_id = static_cast<std::int64_t>(was - old_vectors.begin());
      EXPECT_EQ(after->index->similarity(query, id), before->index->similarity(query, old_id));
    }
  }
  EXPECT_EQ(update_stored_graph(dir.path(), options)->outcome, Outcome::kUpToDate);

  // The next run's changes are again those since the base.
  add_documents(dir.path(), 62, 1);
  update = update_stored_graph(dir.path(), options);
  ASSERT_TRUE(update) << update.error().message;
  EXPECT_TRUE(update->changes_only);
  EXPECT_EQ(update->added, 3u);
  EXPECT_EQ(update->removed, 1u);
  after = load_current(dir.path(), graph, every_list);
  ASSERT_TRUE(after) << graph.status().note;
  EXPECT_EQ(after->index->size(), 62u);
}

TEST(StoredGraph, ChangesOverATenthOfTheBaseRewriteItFromItsLists) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 60);
  const auto options = approximate_from(10);
  ASSERT_EQ(update_stored_graph(dir.path(), options)->outcome, Outcome::kWritten);
  add_documents(dir.path(), 60, 2);
  ASSERT_TRUE(update_stored_graph(dir.path(), options)->changes_only);
  add_documents(dir.path(), 62, 6);  // 8 added since the base: over a tenth of its 60
  auto update = update_stored_graph(dir.path(), options);
  ASSERT_TRUE(update) << update.error().message;
  EXPECT_TRUE(update->incremental);
  EXPECT_FALSE(update->changes_only);
  EXPECT_EQ(update->added, 8u);
  EXPECT_FALSE(std::filesystem::exists(vector_changes_path(dir.path())));
  auto reader = store::IndexReader::open(dir.path());
  const auto stamp =
      vector_stamp(VectorIndexKind::kIvf, kGraphDim, *(*reader)->content_generation());
  auto stored = VectorIndex::load(graph_path(dir.path()), stamp, kGraphDim, options);
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->index->size(), 68u);
}

// Flips a byte of `file` in place, keeping its size and time: the same file to a reader that
// goes by its identity (section_file::FileIdentity).
void damage_in_place(const std::filesystem::path& file, std::size_t at) {
  const auto time = std::filesystem::last_write_time(file);
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x5a));
  f.close();
  std::filesystem::last_write_time(file, time);
}

TEST(StoredGraph, TheServerReadsTheBaseOnceAndNeverTrustsDamagedChanges) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 60);
  const auto options = approximate_from(10);
  ASSERT_EQ(update_stored_graph(dir.path(), options)->outcome, Outcome::kWritten);
  StoredGraph graph(graph_path(dir.path()));
  ASSERT_TRUE(load_current(dir.path(), graph, options)) << graph.status().note;
  add_documents(dir.path(), 60, 2);
  ASSERT_TRUE(update_stored_graph(dir.path(), options)->changes_only);
  ASSERT_TRUE(load_current(dir.path(), graph, options)) << graph.status().note;

  // A damaged changes file is not searched, and the next run writes it again.
  const auto changes = vector_changes_path(dir.path());
  damage_in_place(changes, std::filesystem::file_size(changes) / 2);
  StoredGraph fresh_server(graph_path(dir.path()));
  EXPECT_FALSE(load_current(dir.path(), fresh_server, options));
  EXPECT_TRUE(fresh_server.status().awaiting);
  EXPECT_NE(fresh_server.status().note.find("checksum"), std::string::npos)
      << fresh_server.status().note;
  auto rewritten = update_stored_graph(dir.path(), options);
  ASSERT_TRUE(rewritten) << rewritten.error().message;
  EXPECT_EQ(rewritten->outcome, Outcome::kWritten);
  EXPECT_TRUE(rewritten->changes_only);
  EXPECT_TRUE(fresh_server.arrived());
  ASSERT_TRUE(load_current(dir.path(), fresh_server, options)) << fresh_server.status().note;

  // The base is read once while its file is the same one: damaged behind the server's back
  // (FAISS's part, past the four header lines), it is still served from what was read.
  std::ifstream in(graph_path(dir.path()), std::ios::binary);
  std::size_t header = 0;
  for (int lines = 0; lines < 4; ++header) lines += in.get() == '\n' ? 1 : 0;
  in.close();
  damage_in_place(graph_path(dir.path()), header + 2);
  EXPECT_TRUE(load_current(dir.path(), graph, options)) << graph.status().note;
  StoredGraph another_server(graph_path(dir.path()));
  EXPECT_FALSE(load_current(dir.path(), another_server, options));
}

TEST(StoredGraph, AnIndexThatDoesNotNameItsRowsIsBuiltAfresh) {
  ScratchDir dir;
  add_documents(dir.path(), 0, 60);
  const auto options = approximate_from(10);
  ASSERT_TRUE(update_stored_graph(dir.path(), options));
  // As an older version wrote it: no row ids.
  auto stored = VectorIndex::load(graph_path(dir.path()), "", kGraphDim, options);
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->index->save(graph_path(dir.path()), stored->stamp,
                                  {.rows = stored->rows, .row_ids = {}, .model = {}}));
  add_documents(dir.path(), 60, 1);
  auto update = update_stored_graph(dir.path(), options);
  ASSERT_TRUE(update) << update.error().message;
  EXPECT_EQ(update->outcome, Outcome::kWritten);
  EXPECT_FALSE(update->incremental);
  EXPECT_EQ(update->vectors, 61u);
}

}  // namespace
}  // namespace rag::retrieval
