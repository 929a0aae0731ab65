// update_lexical_index over a real index folder (SQLite store): the changes since the base are
// stored instead of a new base when few documents changed, and the combined index answers
// exactly as one index built from the same chunks with the base's average lengths.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

#include "retrieval/lexical_file.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/testing/test_corpus.hpp"
#include "store/index_writer.hpp"
#include "store/run_lock.hpp"

namespace rag::retrieval {
namespace {

using testing::ScratchDir;

const std::vector<std::string> kWords{"server", "port",   "session", "timeout", "limit",  "client",
                                      "index",  "chunk",  "vector",  "query",   "answer", "search",
                                      "log",    "file",   "config",  "cache",   "redis",  "token",
                                      "model",  "stream", "page",    "title",   "score",  "rank"};

// A document of 1-3 chunks of random words; its content changes with `version`.
std::vector<store::NewChunk> chunks_of(int document, int version) {
  std::mt19937 random(static_cast<unsigned>(document * 1000 + version));
  std::uniform_int_distribution<std::size_t> word(0, kWords.size() - 1);
  std::uniform_int_distribution<int> length(3, 30);
  const int count = 1 + document % 3;
  std::vector<store::NewChunk> out;
  for (int c = 0; c < count; ++c) {
    std::string text;
    for (int w = length(random); w > 0; --w) text += kWords[word(random)] + " ";
    const auto name = std::to_string(document);
    auto metadata = store::ChunkMetadata::parse(
        R"({"source":"doc)" + name + R"(.md","content_hash":"h)" + name + "-" +
        std::to_string(version) + "-" + std::to_string(c) + R"(","page_title":"Page )" + name +
        R"(","citation_url":"/doc)" + std::to_string(document % 7) + R"(","section":"S)" +
        std::to_string(c) + R"(","section_level":"h2"})");
    out.push_back({text, metadata});
  }
  return out;
}

// Writes documents (number → version; version < 0 removes it) in one run of the writer.
void write(const std::filesystem::path& dir, const std::map<int, int>& documents) {
  auto writer = store::IndexWriter::open(dir);
  ASSERT_TRUE(writer) << writer.error().message;
  auto& w = **writer;
  ASSERT_TRUE(w.begin_batch());
  for (const auto& [document, version] : documents) {
    const std::string path = "doc" + std::to_string(document) + ".md";
    if (version < 0) {
      ASSERT_TRUE(w.remove_document(path));
    } else {
      ASSERT_TRUE(w.replace_document({path, "sha-" + std::to_string(version), 1, 1},
                                     chunks_of(document, version), ""));
    }
  }
  ASSERT_TRUE(w.commit_batch());
  ASSERT_TRUE(w.finish());
}

std::map<int, int> documents(int from, int to, int version) {
  std::map<int, int> out;
  for (int d = from; d < to; ++d) out[d] = version;
  return out;
}

std::string generation_of(const std::filesystem::path& dir) {
  auto reader = store::IndexReader::open(dir);
  EXPECT_TRUE(reader);
  return *(*reader)->content_generation();
}

// The index a full build gives for the folder's chunks, with `averages` when given.
LexicalIndex full_build(const std::filesystem::path& dir,
                        const std::array<double, kFieldCount>* averages) {
  auto reader = store::IndexReader::open(dir);
  EXPECT_TRUE(reader);
  LexicalIndex::Builder builder;
  if (averages != nullptr) builder.use_averages(*averages);
  EXPECT_TRUE((*reader)->visit_chunks(store::IndexReader::Columns::kEverything,
                                      [&builder](store::StoredChunk&& c) -> Result<void> {
                                        builder.add(c);
                                        return {};
                                      }));
  return std::move(builder).build();
}

// Same chunks in the same places, same idf for every word, same results bit for bit.
void expect_same(const LexicalIndex& a, const LexicalIndex& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::uint32_t doc = 0; doc < a.size(); ++doc) {
    const auto x = a.chunk(doc);
    const auto y = b.chunk(doc);
    EXPECT_EQ(x.chunk_id, y.chunk_id);
    EXPECT_EQ(x.text(), y.text());
    EXPECT_EQ(x.metadata_json(), y.metadata_json());
    EXPECT_EQ(x.url(), y.url());
    EXPECT_EQ(x.overlap, y.overlap);
  }
  for (int d = 0; d < 8; ++d) {
    const auto url = "/doc" + std::to_string(d);
    EXPECT_EQ(a.with_url(url), b.with_url(url)) << url;
  }
  for (const auto& word : kWords) EXPECT_EQ(a.idf(word), b.idf(word)) << word;
  EXPECT_EQ(a.idf("unknown"), b.idf("unknown"));
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> word(0, kWords.size() - 1);
  for (int q = 0; q < 50; ++q) {
    std::vector<std::string> terms;
    for (int t = 0; t < 1 + q % 5; ++t) terms.push_back(kWords[word(random)]);
    for (const std::size_t limit : {std::size_t{3}, std::size_t{1000}}) {
      const auto x = a.search(terms, limit);
      const auto y = b.search(terms, limit);
      ASSERT_EQ(x.size(), y.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(x[i].doc, y[i].doc) << q << " " << i;
        EXPECT_EQ(x[i].score, y[i].score) << q << " " << i;
      }
      if (!x.empty()) {
        EXPECT_EQ(a.relevance(x[0].score, terms), b.relevance(y[0].score, terms));
      }
    }
  }
}

TEST(LexicalUpdate, AFewChangedDocumentsAreStoredAsChangesThatAnswerAsAFullBuild) {
  ScratchDir dir;
  write(dir.path(), documents(0, 200, 0));
  auto first = update_lexical_index(dir.path());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->written);
  EXPECT_FALSE(first->incremental);
  auto base = load_lexical_index(lexical_index_path(dir.path()), generation_of(dir.path()));
  ASSERT_TRUE(base);
  const auto averages = base->bm25().parts().average;

  // Two documents edited, one removed, one added (doc600 sorts between doc60 and doc61).
  write(dir.path(), {{3, 1}, {10, 1}, {25, -1}, {600, 0}});
  auto update = update_lexical_index(dir.path());
  ASSERT_TRUE(update) << update.error().message;
  EXPECT_TRUE(update->written);
  EXPECT_TRUE(update->incremental);
  // A document has 1 + number % 3 chunks: 3 and 10 replaced (1 + 2), 600 added (1), 25 gone (2).
  EXPECT_EQ(update->added, 4u);
  EXPECT_EQ(update->removed, 5u);
  EXPECT_TRUE(std::filesystem::exists(lexical_changes_path(dir.path())));
  auto combined = load_lexical_index(lexical_index_path(dir.path()), generation_of(dir.path()));
  ASSERT_TRUE(combined) << combined.error().message;
  EXPECT_TRUE(combined->combined());
  expect_same(*combined, full_build(dir.path(), &averages));
  // Only the length normalisation differs from a full build: every idf is the same.
  const auto full = full_build(dir.path(), nullptr);
  for (const auto& word : kWords) EXPECT_EQ(combined->idf(word), full.idf(word));

  // Nothing changed: both files are kept.
  const auto stamp = std::filesystem::last_write_time(lexical_changes_path(dir.path()));
  auto same = update_lexical_index(dir.path());
  ASSERT_TRUE(same);
  EXPECT_FALSE(same->written);
  EXPECT_EQ(std::filesystem::last_write_time(lexical_changes_path(dir.path())), stamp);

  // More changes: still against the same base, which they accumulate over.
  write(dir.path(), {{3, 2}, {40, -1}, {601, 0}});
  auto again = update_lexical_index(dir.path());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->incremental);
  combined = load_lexical_index(lexical_index_path(dir.path()), generation_of(dir.path()));
  ASSERT_TRUE(combined) << combined.error().message;
  expect_same(*combined, full_build(dir.path(), &averages));
}

TEST(LexicalUpdate, ChangesOverATenthOfTheChunksRebuildTheBase) {
  ScratchDir dir;
  write(dir.path(), documents(0, 30, 0));
  ASSERT_TRUE(update_lexical_index(dir.path()));
  write(dir.path(), {{1, 1}});
  auto small = update_lexical_index(dir.path());
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->incremental);
  write(dir.path(), documents(0, 8, 2));
  auto large = update_lexical_index(dir.path());
  ASSERT_TRUE(large);
  EXPECT_TRUE(large->written);
  EXPECT_FALSE(large->incremental);
  EXPECT_FALSE(std::filesystem::exists(lexical_changes_path(dir.path())));
  auto loaded = load_lexical_index(lexical_index_path(dir.path()), generation_of(dir.path()));
  ASSERT_TRUE(loaded);
  EXPECT_FALSE(loaded->combined());
  expect_same(*loaded, full_build(dir.path(), nullptr));
}

TEST(LexicalUpdate, DamagedOrForeignChangesAreNeverSearchedAndAreRewritten) {
  ScratchDir dir;
  write(dir.path(), documents(0, 40, 0));
  ASSERT_TRUE(update_lexical_index(dir.path()));
  write(dir.path(), {{5, 1}});
  ASSERT_TRUE(update_lexical_index(dir.path()));
  const auto changes = lexical_changes_path(dir.path());
  std::string bytes;
  {
    std::ifstream in(changes, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (std::size_t at = 0; at < bytes.size(); at += 1 + at / 16) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x20);
    std::ofstream(changes, std::ios::binary | std::ios::trunc) << bad;
    auto loaded = load_lexical_index(lexical_index_path(dir.path()), generation_of(dir.path()));
    ASSERT_FALSE(loaded) << "byte " << at;
  }
  auto rewritten = update_lexical_index(dir.path());
  ASSERT_TRUE(rewritten);
  EXPECT_TRUE(rewritten->incremental);
  ASSERT_TRUE(load_lexical_index(lexical_index_path(dir.path()), generation_of(dir.path())));

  // A base written since (another checksum): the changes were not made for it.
  const auto kept = bytes;
  ASSERT_TRUE(save_lexical_index(full_build(dir.path(), nullptr), "other:1", {},
                                 lexical_index_path(dir.path())));
  auto foreign = load_lexical_index(lexical_index_path(dir.path()), generation_of(dir.path()));
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  EXPECT_NE(foreign.error().message.find("another base"), std::string::npos)
      << foreign.error().message;
  // The indexer, finding a base of another index, writes a new one.
  auto repaired = update_lexical_index(dir.path());
  ASSERT_TRUE(repaired);
  EXPECT_FALSE(repaired->incremental);
  EXPECT_FALSE(std::filesystem::exists(changes));
}

TEST(LexicalUpdate, TheServerSwapsInTheChangesOnceTheRunEndsReadingTheBaseOnce) {
  ScratchDir dir;
  write(dir.path(), documents(0, 200, 0));
  ASSERT_TRUE(update_lexical_index(dir.path()));
  const auto path = dir.path();
  LiveIndex live([&path] { return store::IndexReader::open(path); }, {}, nullptr,
                 lexical_index_path(path));
  auto first = live.reload();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->lexical_stored);

  // A run: the index changes, then its lexical files; the server waits for the run's end.
  std::optional<store::IndexRunLock> run(*store::IndexRunLock::acquire(path));
  EXPECT_TRUE(store::index_run_in_progress(path));
  write(path, {{7, 1}});
  auto during = live.reload_if_changed();
  ASSERT_TRUE(during);
  EXPECT_TRUE(during->deferred);
  EXPECT_FALSE(during->reloaded);
  ASSERT_TRUE(update_lexical_index(path)->incremental);
  run.reset();
  EXPECT_FALSE(store::index_run_in_progress(path));
  auto after = live.reload_if_changed();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_TRUE(after->reloaded);
  EXPECT_TRUE(after->lexical_stored) << after->lexical_note;
  EXPECT_EQ(live.current()->size(), full_build(path, nullptr).size());

  // The base's sections are mapped once while the file stays the same.
  LexicalBaseCache cache;
  const auto generation = generation_of(path);
  ASSERT_TRUE(load_lexical_index(lexical_index_path(path), generation, &cache));
  const auto mapped = cache.sections;
  ASSERT_TRUE(load_lexical_index(lexical_index_path(path), generation, &cache));
  EXPECT_EQ(cache.sections, mapped);
  write(path, documents(0, 100, 3));  // a new base
  ASSERT_FALSE(update_lexical_index(path)->incremental);
  ASSERT_TRUE(load_lexical_index(lexical_index_path(path), generation_of(path), &cache));
  EXPECT_NE(cache.sections, mapped);
}

// What the changes file's structure checks refuse (the fuzz target's findings among them): the
// whole larger than its parts (which would have allocated by that size), positions out of
// order or given twice, a removed vocabulary out of its bytes or out of order.
TEST(LexicalIndexCombine, ChangesThatDoNotFitTheSegmentsAreRefused) {
  const auto base = LexicalIndex::build(testing::small_corpus(false));  // 4 chunks
  const auto added = LexicalIndex::build({testing::small_corpus(false)[0]});
  const std::vector<std::uint32_t> base_position{0, kBm25Removed, 2, 3};
  const std::vector<std::uint32_t> added_position{1};
  const std::vector<std::uint64_t> offsets{0, 4, 8};
  const std::string sorted = "portrate";
  const std::vector<std::uint32_t> counts{1, 1};
  const auto changes = [&] {
    LexicalChanges c;
    c.base_position = base_position;
    c.added_position = added_position;
    c.removed_offsets = offsets;
    c.removed_bytes = sorted;
    c.removed_counts = counts;
    c.doc_count = 4;
    return c;
  };
  const auto combine = [&](const LexicalChanges& c) {
    return LexicalIndex::combine(base, added, c, nullptr);
  };
  auto fine = combine(changes());
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_EQ(fine->chunk(1).text(), testing::small_corpus(false)[0].text);
  EXPECT_EQ(fine->chunk(1).chunk_id, 1);
  EXPECT_EQ(fine->size(), 4u);

  const auto refused = [&](LexicalChanges c, const std::string& why) {
    auto r = combine(c);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt) << why;
  };
  auto c = changes();
  c.doc_count = 0x7FFFFFFF;
  refused(c, "a whole larger than its parts");
  const std::vector<std::uint32_t> swapped{0, kBm25Removed, 3, 2};
  c = changes();
  c.base_position = swapped;
  refused(c, "positions out of order");
  const std::vector<std::uint32_t> twice{2};
  c = changes();
  c.added_position = twice;
  refused(c, "a position given twice");
  const std::vector<std::uint64_t> past{0, 4, 80};
  c = changes();
  c.removed_offsets = past;
  refused(c, "a removed term past its bytes");
  const std::string unsorted = "rateport";
  c = changes();
  c.removed_bytes = unsorted;
  refused(c, "removed terms out of order");
  c = changes();
  c.base_position = added_position;
  refused(c, "positions for another base");
}

TEST(IndexRunLock, OneRunAtATimeAndTheServerSeesIt) {
  ScratchDir dir;
  EXPECT_FALSE(store::index_run_in_progress(dir.path()));  // no lock file yet
  {
    auto held = store::IndexRunLock::acquire(dir.path());
    ASSERT_TRUE(held) << held.error().message;
    EXPECT_TRUE(store::index_run_in_progress(dir.path()));
    auto second = store::IndexRunLock::acquire(dir.path());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(second.error().message.find("another rag-server index"), std::string::npos);
  }
  EXPECT_FALSE(store::index_run_in_progress(dir.path()));
  EXPECT_TRUE(store::IndexRunLock::acquire(dir.path()));
}

}  // namespace
}  // namespace rag::retrieval
