// Store round trips: writer → reader, incremental replacement keeping vectors, removal,
// generation changes, schema mismatch, build_info.json, read-only folders.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "store/build_info.hpp"
#include "store/index_reader.hpp"
#include "store/index_writer.hpp"
#include "store/schema.hpp"

namespace rag::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rag_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  static NewChunk chunk(const std::string& text, std::int32_t overlap = 0,
                        const std::string& section = "S") {
    NewChunk c{text, ChunkMetadata::parse(R"({"source":"a.md","length":)" +
                                          std::to_string(text.size()) + "}")};
    c.metadata.content_hash = "hash-" + text;
    c.metadata.section = section;
    c.metadata.overlap = overlap;
    return c;
  }
  // Runs `sql` on the index file directly, as another tool (or an older build) would.
  void exec(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "index.sqlite").c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::unique_ptr<IndexWriter> writer() {
    auto w = IndexWriter::open(dir_);
    EXPECT_TRUE(w.has_value()) << (w ? "" : w.error().message);
    return std::move(*w);
  }
  // Overwrites a meta value behind the writer's back, as a damaged file would have it.
  void set_meta(const std::string& key, const std::string& value) {
    exec(("INSERT OR REPLACE INTO meta(key, value) VALUES('" + key + "', '" + value + "')").c_str());
  }
  fs::path dir_;
};

// The layout the lexical index file's incremental update compares: documents by path with
// their chunks' row ids, which a removed document's rows never lend to a later one.
TEST_F(StoreTest, TheLayoutNamesEachDocumentsRowsWhichAreNeverReused) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "sha-a", 1, 10}, {chunk("a0")}, ""));
  ASSERT_TRUE(w->replace_document({"b.md", "sha-b", 1, 10}, {chunk("b0"), chunk("b1")}, ""));
  ASSERT_TRUE(w->commit_batch());
  const auto layout = [this] {
    auto r = IndexReader::open(dir_);
    EXPECT_TRUE(r);
    auto l = (*r)->layout();
    EXPECT_TRUE(l);
    return *l;
  };
  auto before = layout();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0].path, "a.md");
  EXPECT_EQ(before[0].content_sha256, "sha-a");
  EXPECT_EQ(before[1].rows.size(), 2u);
  // b.md holds the largest row ids; removed, then a document added: it gets new ones.
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->remove_document("b.md"));
  ASSERT_TRUE(w->commit_batch());
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"c.md", "sha-c", 1, 10}, {chunk("c0"), chunk("c1")}, ""));
  ASSERT_TRUE(w->commit_batch());
  auto after = layout();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].rows, before[0].rows);
  EXPECT_GT(after[1].rows.front(), before[1].rows.back());
  // The same holds for a writer opened afresh.
  w.reset();
  w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->remove_document("c.md"));
  ASSERT_TRUE(w->replace_document({"d.md", "sha-d", 1, 10}, {chunk("d0")}, ""));
  ASSERT_TRUE(w->commit_batch());
  EXPECT_GT(layout()[1].rows.front(), after[1].rows.back());
}

TEST_F(StoreTest, RoundTripOrdersByPathAndNumbersChunksDensely) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"b.md", "sha-b", 1, 10}, {chunk("b0"), chunk("b1")}, ""));
  ASSERT_TRUE(w->replace_document({"a.md", "sha-a", 1, 10}, {chunk("a0")}, ""));
  ASSERT_TRUE(w->commit_batch());
  auto info = w->finish();
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->total_documents, 2u);
  EXPECT_EQ(info->total_chunks, 3u);
  w.reset();

  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r) << r.error().message;
  auto chunks = (*r)->load_chunks();
  ASSERT_TRUE(chunks);
  ASSERT_EQ(chunks->size(), 3u);
  EXPECT_EQ((*chunks)[0].text, "a0");
  EXPECT_EQ((*chunks)[1].text, "b0");
  EXPECT_EQ((*chunks)[2].text, "b1");
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ((*chunks)[i].chunk_id, static_cast<long>(i));
  EXPECT_EQ((*chunks)[1].metadata.api_json(1).dump(),
            R"({"chunk_id":1,"source":"a.md","length":2,"content_hash":"hash-b0","section":"S"})");
  EXPECT_TRUE((*chunks)[0].embedding.empty());
  auto ri = (*r)->info();
  ASSERT_TRUE(ri);
  EXPECT_EQ(ri->documents, 2u);
  EXPECT_EQ(ri->chunks, 3u);
  EXPECT_EQ(ri->dimension, 0);
  EXPECT_EQ(ri->build_timestamp, info->build_timestamp);

  auto bi = read_build_info(dir_);
  ASSERT_TRUE(bi) << bi.error().message;
  EXPECT_EQ(bi->total_chunks, 3u);
  EXPECT_EQ(bi->build_timestamp, info->build_timestamp);
}

TEST_F(StoreTest, ChangedDocumentKeepsVectorsOfUnchangedText) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("same"), chunk("old")}, "m"));
  ASSERT_TRUE(w->commit_batch());
  auto pending = w->chunks_needing_embedding("m");
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  std::vector<std::int64_t> ids{(*pending)[0].row_id, (*pending)[1].row_id};
  std::vector<std::vector<float>> vecs{{1, 0}, {0, 1}};
  ASSERT_TRUE(w->store_embeddings(ids, vecs, "m"));

  ASSERT_TRUE(w->begin_batch());
  auto stats = w->replace_document({"a.md", "v2", 2, 1}, {chunk("same"), chunk("new")}, "m");
  ASSERT_TRUE(w->commit_batch());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->kept, 1u);
  EXPECT_EQ(stats->added, 1u);
  EXPECT_EQ(stats->removed, 1u);
  EXPECT_EQ(stats->embeddings_reused, 1u);
  pending = w->chunks_needing_embedding("m");
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].text, "new");
  ASSERT_TRUE(w->finish());

  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  auto chunks = (*r)->load_chunks();
  ASSERT_EQ(chunks->size(), 2u);
  EXPECT_EQ((*chunks)[0].text, "same");
  EXPECT_EQ((*chunks)[0].embedding, (std::vector<float>{1, 0}));
  EXPECT_TRUE((*chunks)[1].embedding.empty());
  auto info = (*r)->info();
  EXPECT_EQ(info->dimension, 2);
  EXPECT_EQ(info->embedded_chunks, 1u);
  EXPECT_EQ(info->embedding_model, "m");
}

TEST_F(StoreTest, TheEmbeddedCountIsRecordedForItsContentAndCountedOtherwise) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x"), chunk("y")}, "m"));
  ASSERT_TRUE(w->commit_batch());
  auto pending = w->chunks_needing_embedding("m");
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2u);
  const std::vector<std::int64_t> ids{(*pending)[0].row_id, (*pending)[1].row_id};
  const std::vector<std::vector<float>> vectors{{1, 0}, {0, 1}};
  ASSERT_TRUE(w->store_embeddings(ids, vectors, "m"));
  ASSERT_TRUE(w->finish());
  w.reset();
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->info()->embedded_chunks, 2u);
  // What is read is the record (counting reads every vector): a forged one shows it.
  exec(
      "UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'content_generation') || ' 7' "
      "WHERE key = 'embedded_chunks'");
  EXPECT_EQ((*r)->info()->embedded_chunks, 7u);
  // Content committed without finish() (an indexer killed before its end): counted again.
  w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"b.md", "v1", 1, 1}, {chunk("z")}, "m"));
  ASSERT_TRUE(w->commit_batch());
  EXPECT_EQ((*r)->info()->embedded_chunks, 2u);
}

// The embeddings' bookkeeping never scans the chunks (each holds its vector: a scan reads them
// all): both statements are answered from their partial index, on a new index and on one
// written before the indexes existed (the next writer adds them).
TEST_F(StoreTest, EmbeddingBookkeepingReadsItsIndexesNotTheChunks) {
  const auto plan = [&](const char* sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ / "index.sqlite").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    const std::string explain = std::string("EXPLAIN QUERY PLAN ") + sql;
    EXPECT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
      out += "\n";
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  };
  const auto expect_indexed = [&] {
    const auto pending = plan(kChunksNeedingEmbeddingSql);
    EXPECT_NE(pending.find("USING INDEX chunks_unembedded"), std::string::npos) << pending;
    EXPECT_NE(pending.find("USING INDEX chunks_by_model"), std::string::npos) << pending;
    const auto count = plan(kCountEmbeddedSql);
    EXPECT_NE(count.find("USING INDEX chunks_by_model"), std::string::npos) << count;
  };
  writer().reset();
  expect_indexed();
  exec("DROP INDEX chunks_unembedded; DROP INDEX chunks_by_model");
  EXPECT_EQ(plan(kCountEmbeddedSql).find("USING INDEX"), std::string::npos);
  writer().reset();
  expect_indexed();
}

// Every way a chunk can lack a vector of the model is pending, and only those.
TEST_F(StoreTest, PendingAreTheChunksWithoutAVectorOfTheModel) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("p"), chunk("q"), chunk("r")}, "m"));
  ASSERT_TRUE(w->commit_batch());
  auto pending = w->chunks_needing_embedding("m");
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 3u);
  const std::vector<std::int64_t> ids{(*pending)[0].row_id, (*pending)[1].row_id};
  const std::vector<std::vector<float>> vectors{{1, 0}, {0, 1}};
  ASSERT_TRUE(w->store_embeddings(ids, vectors, "m"));
  // One vector of no model (an older writer), one of another: pending, like the unembedded one.
  exec(("UPDATE chunks SET embedding_model = NULL WHERE id = " + std::to_string(ids[0])).c_str());
  exec(("UPDATE chunks SET embedding_model = 'old' WHERE id = " + std::to_string(ids[1])).c_str());
  pending = w->chunks_needing_embedding("m");
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ((*pending)[0].text, "p");  // by row id
  EXPECT_EQ((*pending)[1].text, "q");
  EXPECT_EQ((*pending)[2].text, "r");
  EXPECT_EQ(w->chunks_needing_embedding("old")->size(), 2u);
  ASSERT_TRUE(w->finish());
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)->info()->embedded_chunks, 0u);  // none is of the index's model, m
}

TEST_F(StoreTest, DimensionChangeForSameModelIsRefused) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x"), chunk("y")}, "m"));
  ASSERT_TRUE(w->commit_batch());
  auto p = w->chunks_needing_embedding("m");
  std::vector<std::int64_t> a{(*p)[0].row_id}, b{(*p)[1].row_id};
  std::vector<std::vector<float>> v2{{1, 2}}, v3{{1, 2, 3}};
  ASSERT_TRUE(w->store_embeddings(a, v2, "m"));
  auto bad = w->store_embeddings(b, v3, "m");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(w->begin_batch());  // the failed batch was rolled back
  w->abort_batch();
}

TEST_F(StoreTest, ContentGenerationMovesWithContentOnlyAndIsUniqueToTheIndex) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x")}, ""));
  ASSERT_TRUE(w->commit_batch());
  ASSERT_TRUE(w->finish());
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  const auto content = (*r)->content_generation();
  const auto generation = (*r)->generation();
  ASSERT_TRUE(content && generation);
  EXPECT_NE(*content, *generation);  // "<index_id>:<n>", not "n@timestamp"

  ASSERT_TRUE(w->finish());  // a run that changed nothing: only the build information
  EXPECT_NE(*(*r)->generation(), *generation);
  EXPECT_EQ(*(*r)->content_generation(), *content);

  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v2", 2, 1}, {chunk("y")}, ""));
  ASSERT_TRUE(w->commit_batch());
  const auto changed = (*r)->content_generation();
  ASSERT_TRUE(changed);
  EXPECT_NE(*changed, *content);
  w.reset();
  r->reset();

  // Rebuilt from scratch, the counter starts again; the index id tells the two apart.
  fs::remove_all(dir_);
  w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x")}, ""));
  ASSERT_TRUE(w->commit_batch());
  r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  EXPECT_NE(*(*r)->content_generation(), *content);
}

TEST_F(StoreTest, VectorsOnlyLoadsIdsAndEmbeddingsInTheSameOrder) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"b.md", "v1", 1, 1}, {chunk("b0"), chunk("b1")}, ""));
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("a0")}, ""));
  ASSERT_TRUE(w->commit_batch());
  auto rows = w->chunks_needing_embedding("m");
  ASSERT_TRUE(rows.has_value());
  std::vector<std::int64_t> ids;
  std::vector<std::vector<float>> vectors;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    ids.push_back((*rows)[i].row_id);
    vectors.push_back({static_cast<float>(i), 1.0f});
  }
  ASSERT_TRUE(w->store_embeddings(ids, vectors, "m"));
  w.reset();
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  auto all = (*r)->load_chunks();
  auto only = (*r)->load_chunks(IndexReader::Columns::kVectorsOnly);
  ASSERT_TRUE(all && only);
  ASSERT_EQ(only->size(), all->size());
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*only)[i].chunk_id, (*all)[i].chunk_id);
    EXPECT_EQ((*only)[i].embedding, (*all)[i].embedding);
    EXPECT_FALSE((*all)[i].embedding.empty());
    EXPECT_TRUE((*only)[i].text.empty());
  }
}

TEST_F(StoreTest, AnIndexWithoutContentGenerationAnswersItsGeneration) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x")}, ""));
  ASSERT_TRUE(w->commit_batch());
  w.reset();
  exec("DELETE FROM meta WHERE key IN ('index_id', 'content_generation')");  // an older writer
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  EXPECT_EQ(*(*r)->content_generation(), *(*r)->generation());
}

TEST_F(StoreTest, RemoveDocumentAndGenerationChanges) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x")}, ""));
  ASSERT_TRUE(w->replace_document({"b.md", "v1", 1, 1}, {chunk("y"), chunk("z")}, ""));
  ASSERT_TRUE(w->commit_batch());
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r);
  auto g1 = (*r)->generation();
  ASSERT_TRUE(g1);
  ASSERT_TRUE(w->begin_batch());
  auto removed = w->remove_document("b.md");
  ASSERT_TRUE(w->commit_batch());
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2u);
  auto g2 = (*r)->generation();
  EXPECT_NE(*g1, *g2);
  EXPECT_EQ((*r)->load_chunks()->size(), 1u);
  auto paths = w->document_paths();
  EXPECT_EQ(*paths, std::vector<std::string>{"a.md"});
}

TEST_F(StoreTest, UncommittedBatchIsInvisibleAndRolledBack) {
  {
    auto w = writer();
    ASSERT_TRUE(w->begin_batch());
    ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x")}, ""));
    // destroyed without commit
  }
  auto w = writer();
  auto found = w->find_document("a.md");
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
}

// The splitter's overlap is stored beside the metadata (not in its JSON) and read back as is.
TEST_F(StoreTest, KeepsTheRecordedOverlap) {
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(
      w->replace_document({"a.md", "v1", 1, 1}, {chunk("P1\n\nP2"), chunk("P2\n\nP3", 4)}, ""));
  ASSERT_TRUE(w->commit_batch());
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r) << r.error().message;
  auto chunks = (*r)->load_chunks();
  ASSERT_TRUE(chunks);
  ASSERT_EQ(chunks->size(), 2u);
  EXPECT_EQ((*chunks)[0].metadata.overlap, 0);
  EXPECT_EQ((*chunks)[1].metadata.overlap, 4);
  EXPECT_EQ((*chunks)[1].metadata.to_stored_json().find("overlap"), std::string::npos);
}

// Where nobody recorded it (an import, an index from before the column), it is found from the
// text: the paragraphs that repeat the end of the previous chunk of the same document and section.
TEST_F(StoreTest, FindsAnUnrecordedOverlapFromTheText) {
  constexpr auto kUnknown = ChunkMetadata::kUnknownOverlap;
  auto w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1},
                                  {chunk("P1\n\nP2", kUnknown), chunk("P2\n\nP3", kUnknown),
                                   chunk("P3\n\nP4", kUnknown, "Other section")},
                                  ""));
  ASSERT_TRUE(w->replace_document({"b.md", "v1", 1, 1}, {chunk("P4\n\nP5", kUnknown)}, ""));
  ASSERT_TRUE(w->commit_batch());
  const auto overlaps = [&] {
    auto r = IndexReader::open(dir_);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::int32_t> out;
    auto chunks = (*r)->load_chunks();
    EXPECT_TRUE(chunks);
    for (const auto& c : *chunks) out.push_back(c.metadata.overlap);
    return out;
  };
  EXPECT_EQ(overlaps(), (std::vector<std::int32_t>{0, 4, 0, 0}));

  // An index written before the column existed reads the same; the writer adds the column.
  w.reset();
  exec("ALTER TABLE chunks DROP COLUMN overlap");
  EXPECT_EQ(overlaps(), (std::vector<std::int32_t>{0, 4, 0, 0}));
  w = writer();
  ASSERT_TRUE(w->begin_batch());
  ASSERT_TRUE(w->replace_document({"c.md", "v1", 1, 1}, {chunk("Q1"), chunk("Q1\n\nQ2", 4)}, ""));
  ASSERT_TRUE(w->commit_batch());
  EXPECT_EQ(overlaps(), (std::vector<std::int32_t>{0, 4, 0, 0, 0, 4}));
}

TEST_F(StoreTest, MissingIndexIsNotFound) {
  auto r = IndexReader::open(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(StoreTest, SchemaMismatchIsCorruptAndNamesTheCommand) {
  { auto w = writer(); ASSERT_TRUE(w->finish()); }
  set_meta("schema_version", "99");
  auto r = IndexReader::open(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("rag-server index"), std::string::npos);
  // The writer migrates by rebuilding.
  auto w = writer();
  ASSERT_TRUE(w->finish());
  EXPECT_TRUE(IndexReader::open(dir_));
}

TEST_F(StoreTest, MetaNumberThatIsNotOneIsCorruptNotAThrow) {
  {
    auto w = writer();
    ASSERT_TRUE(w->finish());
  }
  set_meta("embedding_dimension", "12x");
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r) << r.error().message;
  auto chunks = (*r)->load_chunks();
  ASSERT_FALSE(chunks);
  EXPECT_EQ(chunks.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(chunks.error().message.find("embedding_dimension is not a whole number: '12x'"),
            std::string::npos)
      << chunks.error().message;
  auto info = (*r)->info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, ErrorCode::kCorrupt);

  set_meta("schema_version", "one");
  auto again = IndexReader::open(dir_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(again.error().message.find("schema_version"), std::string::npos);
}

// A writer killed inside a rollback-journal write (`rag-server index` switches the journal mode
// at its start and end) leaves a hot journal: the database file holds half a transaction and
// the journal the pages to restore. The reader must roll it back, not refuse (a read-only
// connection alone cannot: SQLITE_READONLY_ROLLBACK) nor read the torn file.
TEST_F(StoreTest, RollsBackWhatAKilledWriterLeftHalfWritten) {
  {
    auto w = writer();
    ASSERT_TRUE(w->begin_batch());
    for (int d = 0; d < 50; ++d) {
      ASSERT_TRUE(w->replace_document({"d" + std::to_string(d) + ".md", "v1", 1, 1},
                                      {chunk(std::string(4000, static_cast<char>('a' + d % 26)))},
                                      ""));
    }
    ASSERT_TRUE(w->commit_batch());
    ASSERT_TRUE(w->finish());
  }
  // The crash image: the files as they are mid-transaction, after the page cache spilled
  // into the database file.
  const fs::path crashed = dir_ / "crashed";
  fs::create_directories(crashed);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "index.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA cache_size=10; BEGIN; DELETE FROM chunks; "
                         "UPDATE documents SET content_sha256 = 'torn';",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  for (const char* name : {"index.sqlite", "index.sqlite-journal"}) {
    fs::copy_file(dir_ / name, crashed / name);
  }
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  const auto bytes = [](const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  ASSERT_NE(bytes(crashed / "index.sqlite"), bytes(dir_ / "index.sqlite")) << "nothing spilled";

  // A read-only folder cannot roll it back: the reader refuses it rather than read it torn.
  fs::permissions(crashed, fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(crashed.c_str(), W_OK) != 0) {
    auto refused = IndexReader::open(crashed);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kCorrupt);
    EXPECT_NE(refused.error().message.find("half-written"), std::string::npos);
  }  // else running as root, which can write anyway
  fs::permissions(crashed, fs::perms::owner_all);

  auto r = IndexReader::open(crashed);
  ASSERT_TRUE(r) << r.error().message;
  auto chunks = (*r)->load_chunks();
  ASSERT_TRUE(chunks) << chunks.error().message;
  EXPECT_EQ(chunks->size(), 50u);
  auto layout = (*r)->layout();
  ASSERT_TRUE(layout);
  EXPECT_EQ(layout->front().content_sha256, "v1");
  EXPECT_FALSE(fs::exists(crashed / "index.sqlite-journal"));
}

TEST_F(StoreTest, OpensInReadOnlyFolder) {
  {
    auto w = writer();
    ASSERT_TRUE(w->begin_batch());
    ASSERT_TRUE(w->replace_document({"a.md", "v1", 1, 1}, {chunk("x")}, ""));
    ASSERT_TRUE(w->commit_batch());
    ASSERT_TRUE(w->finish());
  }
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(dir_.c_str(), W_OK) == 0) GTEST_SKIP() << "running as root: cannot drop write";
  auto r = IndexReader::open(dir_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->load_chunks()->size(), 1u);
  EXPECT_TRUE((*r)->generation());
}

}  // namespace
}  // namespace rag::store
