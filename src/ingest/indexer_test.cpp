// Incremental index runs end to end (files → store → reader): add, change, delete a file;
// unchanged chunks keep their embeddings; malformed files are skipped, not fatal; a later run
// with an embedder adds the missing vectors. The embedder is a fake behind the interface.
#include <gtest/gtest.h>
#include <unistd.h>

#include <utility>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ingest/file_walker.hpp"
#include "ingest/indexer.hpp"
#include "ingest/progress.hpp"
#include "store/index_reader.hpp"
#include "upstream/embedder.hpp"

namespace rag::ingest {
namespace {

namespace fs = std::filesystem;

class FakeEmbedder final : public upstream::Embedder {
 public:
  boost::asio::awaitable<Result<std::vector<upstream::Vector>>> embed(
      std::vector<std::string> texts, CancelToken) override {
    ++calls;
    max_batch = std::max(max_batch, texts.size());
    if (fail) co_return fail_with(ErrorCode::kUpstream, "upstream says no");
    std::vector<upstream::Vector> out;
    for (const auto& t : texts) out.push_back({static_cast<float>(t.size()), 1.0f, 0.5f});
    embedded += texts.size();
    co_return out;
  }
  std::string model_name() const override { return "fake-model"; }

  static std::unexpected<Error> fail_with(ErrorCode c, std::string m) { return rag::fail(c, m); }
  int calls = 0;
  std::size_t max_batch = 0;
  std::size_t embedded = 0;
  bool fail = false;
};

std::string para(const std::string& tag) {
  return tag + " is a paragraph long enough to survive the minimum length rule of the splitter, "
               "which drops anything shorter than one hundred characters.";
}

class IndexerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("rag_indexer_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_ / "docs" / "guide");
    options_.paths = {base_ / "docs"};
    options_.vector_db_path = base_ / "vector_db";
    options_.embed_batch_size = 2;
    options_.embed_concurrency = 3;
  }
  void TearDown() override { fs::remove_all(base_); }

  void write(const std::string& rel, const std::string& text) {
    std::ofstream(base_ / "docs" / rel, std::ios::trunc) << text;
  }
  IndexSummary run(FakeEmbedder* embedder = nullptr) {
    boost::asio::io_context io;
    NullProgress progress;
    auto r = run_index(options_, {embedder, embedder ? &io : nullptr}, progress);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : IndexSummary{};
  }
  std::vector<store::StoredChunk> chunks() {
    auto reader = store::IndexReader::open(options_.vector_db_path);
    EXPECT_TRUE(reader);
    return *(*reader)->load_chunks();
  }

  fs::path base_;
  IndexOptions options_;
};

TEST_F(IndexerTest, FirstRunIndexesSupportedFilesAndSkipsOthers) {
  write("guide/index.md", "# Guide\n\n" + para("g1") + "\n\n" + para("g2") + "\n");
  write("config.md", para("c1") + "\n");
  write("image.png", "\x89PNG");
  write("broken.pdf", "not a pdf");
  auto s = run();
  EXPECT_EQ(s.files_seen, 3u);
  EXPECT_EQ(s.files_indexed, 2u);
  EXPECT_EQ(s.files_skipped, 1u);
  EXPECT_EQ(s.files_failed, 1u);
  EXPECT_EQ(s.chunks_added, 2u);
  EXPECT_EQ(s.total_chunks, 2u);
  auto c = chunks();
  ASSERT_EQ(c.size(), 2u);
  auto m0 = c[0].metadata.api_json(c[0].chunk_id);
  auto m1 = c[1].metadata.api_json(c[1].chunk_id);
  EXPECT_EQ(m0["source"], "docs/config.md");
  EXPECT_EQ(m0["citation_url"], "/config");
  EXPECT_EQ(m0["section"], "Section 1");
  EXPECT_EQ(m0["section_level"], "none");
  EXPECT_EQ(m0["chunk_id"], 0);
  EXPECT_EQ(m1["source"], "docs/guide/index.md");
  EXPECT_EQ(m1["citation_url"], "/guide");
  EXPECT_EQ(m1["section"], "Guide");
  EXPECT_EQ(m1["section_level"], "h1");
  EXPECT_EQ(m1["page_title"], "Guide");
  EXPECT_EQ(m1["chunk_id"], 1);
  EXPECT_TRUE(fs::exists(options_.vector_db_path / "build_info.json"));
}

TEST_F(IndexerTest, AddChangeDeleteAreIncremental) {
  write("a.md", para("a1") + "\n");
  write("b.md", para("b1") + "\n");
  run();
  // Unchanged second run touches nothing.
  auto s = run();
  EXPECT_EQ(s.files_unchanged, 2u);
  EXPECT_EQ(s.files_indexed, 0u);
  EXPECT_EQ(s.chunks_kept, 2u);
  // Add c, change b, delete a.
  write("c.md", para("c1") + "\n");
  write("b.md", para("b2") + "\n");
  fs::remove(base_ / "docs" / "a.md");
  s = run();
  EXPECT_EQ(s.files_indexed, 2u);
  EXPECT_EQ(s.files_removed, 1u);
  EXPECT_EQ(s.chunks_added, 2u);
  EXPECT_EQ(s.chunks_removed, 2u);
  auto c = chunks();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].text, para("b2"));
  EXPECT_EQ(c[1].text, para("c1"));
  EXPECT_EQ(c[0].chunk_id, 0);
  EXPECT_EQ(c[1].chunk_id, 1);
}

TEST(FileWalker, ExcludePatternsMatchNamesAnywhereAndPathsFromTheFolder) {
  const std::vector<std::string> patterns = {"*.pdf", "drafts", "guides/old/*", "/NOTES.md"};
  EXPECT_TRUE(is_excluded("a.pdf", patterns));
  EXPECT_TRUE(is_excluded("deep/er/a.pdf", patterns));
  EXPECT_TRUE(is_excluded("drafts", patterns));
  EXPECT_TRUE(is_excluded("x/drafts", patterns));         // a name: at any depth
  EXPECT_TRUE(is_excluded("guides/old/intro.md", patterns));
  EXPECT_TRUE(is_excluded("NOTES.md", patterns));
  EXPECT_FALSE(is_excluded("guides/old/sub/intro.md", patterns));  // * stops at a slash
  EXPECT_FALSE(is_excluded("x/guides/old/intro.md", patterns));    // a path: from the folder
  EXPECT_FALSE(is_excluded("x/NOTES.md", patterns));
  EXPECT_FALSE(is_excluded("a.pdf.md", patterns));
  EXPECT_FALSE(is_excluded("drafts.md", patterns));
  EXPECT_FALSE(is_excluded("a.pdf", {}));
}

// A committed `leak.md -> ../.env` must not put the secret in the index: links are read only
// when they stay inside the folder, and links to folders are never followed (no loops).
TEST_F(IndexerTest, LinksLeavingTheFolderAreNotIndexedAndFolderLinksNotFollowed) {
  write("a.md", "# A\n\n" + para("alpha"));
  std::ofstream(base_ / ".env") << "OPENAI_API_KEY=sk-must-not-be-indexed\n";
  fs::create_directories(base_ / "outside");
  std::ofstream(base_ / "outside" / "b.md") << "# B\n\n" + para("outside");
  fs::create_symlink("../.env", base_ / "docs" / "leak.md");
  fs::create_symlink(base_ / ".env", base_ / "docs" / "absolute.txt");
  fs::create_symlink("../outside", base_ / "docs" / "guide" / "elsewhere");  // folder, outside
  fs::create_symlink("..", base_ / "docs" / "guide" / "loop");               // folder, a loop
  fs::create_symlink("guide/../a.md", base_ / "docs" / "alias.md");          // inside: fine
  fs::create_symlink("missing.md", base_ / "docs" / "dangling.md");
  auto files = collect_files({base_ / "docs"});
  ASSERT_TRUE(files) << files.error().message;
  std::vector<std::string> sources;
  for (const auto& f : *files) sources.push_back(f.source);
  EXPECT_EQ(sources, (std::vector<std::string>{"docs/a.md", "docs/alias.md"}));
  run();
  for (const auto& chunk : chunks())
    EXPECT_EQ(chunk.text.find("sk-must-not-be-indexed"), std::string::npos) << chunk.text;
}

TEST_F(IndexerTest, ExcludedFilesAndFoldersAreNotIndexedAndLeaveTheIndex) {
  fs::create_directories(base_ / "docs" / "drafts");
  write("guide/index.md", para("g1") + "\n");
  write("guide/internal.md", para("i1") + "\n");
  write("drafts/wip.md", para("d1") + "\n");
  write("keep.md", para("k1") + "\n");
  auto s = run();
  EXPECT_EQ(s.total_documents, 4u);

  options_.exclude = {"drafts", "guide/internal.md"};
  s = run();
  EXPECT_EQ(s.files_seen, 2u);
  EXPECT_EQ(s.files_removed, 2u);  // indexed before, excluded now: removed like a deleted file
  EXPECT_EQ(s.total_documents, 2u);
  std::vector<std::string> sources;
  for (const auto& c : chunks()) sources.push_back(c.metadata.source);
  EXPECT_EQ(sources, (std::vector<std::string>{"docs/guide/index.md", "docs/keep.md"}));

  // The folder's .ragignore adds its patterns to --exclude's.
  write(".ragignore", "# not the guide's index\n\n  guide/index.md  \n");
  EXPECT_EQ(read_ignore_file(base_ / "docs"), std::vector<std::string>{"guide/index.md"});
  EXPECT_EQ(run().total_documents, 1u);
  options_.exclude.clear();
  EXPECT_EQ(run().total_documents, 3u);
  fs::remove(base_ / "docs" / ".ragignore");
  options_.exclude = {"drafts", "guide/internal.md"};

  // A file named as a PATH is indexed even when a pattern matches it.
  options_.paths.push_back(base_ / "docs" / "drafts" / "wip.md");
  EXPECT_EQ(run().total_documents, 3u);
}

TEST_F(IndexerTest, TouchedButIdenticalFileIsNotReloaded) {
  write("a.md", para("a1") + "\n");
  run();
  fs::last_write_time(base_ / "docs" / "a.md",
                      fs::last_write_time(base_ / "docs" / "a.md") + std::chrono::hours(1));
  auto s = run();
  EXPECT_EQ(s.files_unchanged, 1u);
  EXPECT_EQ(s.files_indexed, 0u);
}

TEST_F(IndexerTest, EmbeddingsBatchedAndUnchangedChunkKeepsItsVector) {
  // Two sections so a change in one leaves the other's chunk text identical.
  write("a.md", "# One\n\n" + para("one") + "\n\n# Two\n\n" + para("two") + "\n");
  for (int i = 0; i < 4; ++i) write("f" + std::to_string(i) + ".md", para("f" + std::to_string(i)));
  FakeEmbedder e;
  auto s = run(&e);
  EXPECT_EQ(s.embeddings_made, 6u);
  EXPECT_LE(e.max_batch, 2u);
  EXPECT_EQ(e.calls, 3);
  for (const auto& c : chunks()) EXPECT_EQ(c.embedding.size(), 3u);

  write("a.md", "# One\n\n" + para("one") + "\n\n# Two\n\n" + para("changed") + "\n");
  FakeEmbedder e2;
  s = run(&e2);
  EXPECT_EQ(s.chunks_kept, 5u);
  EXPECT_EQ(s.chunks_added, 1u);
  EXPECT_EQ(s.embeddings_reused, 1u);
  EXPECT_EQ(e2.embedded, 1u);  // only the changed chunk
  auto info = (*store::IndexReader::open(options_.vector_db_path))->info();
  EXPECT_EQ(info->embedded_chunks, 6u);
  EXPECT_EQ(info->dimension, 3);
  EXPECT_EQ(info->embedding_model, "fake-model");
}

TEST_F(IndexerTest, LexicalRunThenEmbedderAddsMissingVectors) {
  write("a.md", para("a1"));
  write("b.md", para("b1"));
  run();
  for (const auto& c : chunks()) EXPECT_TRUE(c.embedding.empty());
  FakeEmbedder e;
  auto s = run(&e);
  EXPECT_EQ(s.files_unchanged, 2u);
  EXPECT_EQ(s.embeddings_made, 2u);
  for (const auto& c : chunks()) EXPECT_EQ(c.embedding.size(), 3u);
}

TEST_F(IndexerTest, UpstreamFailureKeepsLexicalIndexAndReportsIt) {
  write("a.md", para("a1"));
  FakeEmbedder e;
  e.fail = true;
  auto s = run(&e);
  EXPECT_NE(s.embedding_error.find("upstream says no"), std::string::npos);
  EXPECT_EQ(chunks().size(), 1u);
}

TEST_F(IndexerTest, MissingPathIsFatal) {
  options_.paths = {base_ / "nope"};
  NullProgress progress;
  auto r = run_index(options_, {}, progress);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(IndexerTest, RealFixturesIndexEndToEnd) {
  options_.paths = {fs::path(RAG_INGEST_FIXTURES)};
  auto s = run();
  EXPECT_GE(s.files_indexed, 6u);  // html, mdx, txt, pdf, two md
  EXPECT_EQ(s.files_failed, 2u);   // broken.pdf, broken_front_matter.md
  bool saw_html = false;
  for (const auto& c : chunks()) {
    const auto& m = c.metadata;
    if (m.source == "ingest/essay.html") {
      saw_html = true;
      EXPECT_EQ(m.citation_url, "/essays/teaching-programming");
      EXPECT_EQ(m.published, "2024-03-01");
    }
  }
  EXPECT_TRUE(saw_html);
}

}  // namespace
}  // namespace rag::ingest
