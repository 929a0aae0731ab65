#include "retrieval/live_index.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "retrieval/fake_index_reader.hpp"
#include "retrieval/test_corpus.hpp"

namespace rag::retrieval {
namespace {

using testing::FakeIndexState;
using testing::make_chunk;
using testing::ScratchDir;

std::vector<store::StoredChunk> corpus(const std::string& word, int n) {
  std::vector<store::StoredChunk> chunks;
  for (int i = 0; i < n; ++i) {
    chunks.push_back(make_chunk(i, word + " shared text number " + std::to_string(i), "T", "/" +
                                std::to_string(i)));
  }
  return chunks;
}

TEST(LiveIndex, EmptyUntilLoaded) {
  auto state = std::make_shared<FakeIndexState>();
  LiveIndex live(testing::fake_opener(state), {});
  EXPECT_EQ(live.current(), nullptr);
  state->set(corpus("alpha", 3), "g1");
  auto stats = live.reload();
  ASSERT_TRUE(stats.has_value());
  EXPECT_TRUE(stats->reloaded);
  EXPECT_EQ(stats->chunks, 3u);
  EXPECT_EQ(stats->generation, "g1");
  ASSERT_NE(live.current(), nullptr);
  EXPECT_EQ(live.current()->generation(), "g1");
}

TEST(LiveIndex, ReloadIfChangedLoadsOnlyOnANewGeneration) {
  auto state = std::make_shared<FakeIndexState>();
  state->set(corpus("alpha", 3), "g1");
  LiveIndex live(testing::fake_opener(state), {});
  ASSERT_TRUE(live.reload_if_changed()->reloaded);
  EXPECT_FALSE(live.reload_if_changed()->reloaded);
  EXPECT_EQ(state->loads, 1);
  state->set(corpus("beta", 5), "g2");
  auto stats = live.reload_if_changed();
  ASSERT_TRUE(stats.has_value());
  EXPECT_TRUE(stats->reloaded);
  EXPECT_EQ(live.current()->size(), 5u);
}

TEST(LiveIndex, ReloadsOnceTheAwaitedGraphIsStored) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.hnsw";
  auto state = std::make_shared<FakeIndexState>();
  state->set(testing::small_corpus(true), "g1");
  SnapshotOptions options;
  options.vectors.hnsw_threshold = 2;
  options.graph_file = file;
  LiveIndex live(testing::fake_opener(state), options);
  auto first = live.reload();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->awaiting_graph);
  EXPECT_FALSE(first->approximate);
  EXPECT_FALSE(live.reload_if_changed()->reloaded);  // nothing new yet

  // What `rag-server index` does at its end: build the graph of g1 and store it.
  auto indexer_options = options;
  indexer_options.graph_file.clear();
  auto built = Snapshot::build(testing::small_corpus(true), {}, "g1", indexer_options);
  ASSERT_TRUE(built.has_value());
  ASSERT_TRUE((*built)->save_vectors(file));

  auto second = live.reload_if_changed();
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->reloaded);
  EXPECT_TRUE(second->approximate);
  EXPECT_FALSE(second->awaiting_graph);
  EXPECT_TRUE(live.current()->approximate());
  EXPECT_FALSE(live.reload_if_changed()->reloaded);
  EXPECT_EQ(state->loads, 2);
}

TEST(LiveIndex, AGraphFileThatFailsToLoadIsNotRetriedUntilReplaced) {
  ScratchDir dir;
  const auto file = dir.path() / "vectors.hnsw";
  auto state = std::make_shared<FakeIndexState>();
  state->set(testing::small_corpus(true), "g1");
  SnapshotOptions options;
  options.vectors.hnsw_threshold = 2;
  auto built = Snapshot::build(testing::small_corpus(true), {}, "g1", options);
  ASSERT_TRUE(built.has_value());
  ASSERT_TRUE((*built)->save_vectors(file));
  {  // damage FAISS's part behind a header that still matches: its type code
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    std::string line;
    for (int i = 0; i < 3; ++i) std::getline(f, line);
    f.seekp(f.tellg());
    f.write("XXXX", 4);
  }
  options.graph_file = file;
  LiveIndex live(testing::fake_opener(state), options);
  auto first = live.reload();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->awaiting_graph);
  EXPECT_FALSE(live.reload_if_changed()->reloaded);  // no reload loop on a bad file
  EXPECT_EQ(state->loads, 1);

  ASSERT_TRUE((*built)->save_vectors(file));  // replaced by a good one: tried again
  auto second = live.reload_if_changed();
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->reloaded);
  EXPECT_TRUE(second->approximate);
}

TEST(LiveIndex, AFailedReloadKeepsTheCurrentSnapshot) {
  auto state = std::make_shared<FakeIndexState>();
  state->set(corpus("alpha", 3), "g1");
  LiveIndex live(testing::fake_opener(state), {});
  ASSERT_TRUE(live.reload().has_value());
  auto before = live.current();
  state->fail_open = true;
  auto stats = live.reload();
  ASSERT_FALSE(stats.has_value());
  EXPECT_EQ(stats.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(live.current(), before);
}

TEST(LiveIndex, SwapsWhileSearchingFromThreadsWithoutAFailure) {
  auto state = std::make_shared<FakeIndexState>();
  state->set(corpus("alpha", 200), "g0");
  LiveIndex live(testing::fake_opener(state), {});
  ASSERT_TRUE(live.reload().has_value());

  std::atomic<bool> done{false};
  std::atomic<int> searches{0}, failures{0};
  std::vector<std::thread> searchers;
  for (int t = 0; t < 4; ++t) {
    searchers.emplace_back([&] {
      while (!done.load()) {
        auto snap = live.current();
        auto hits = snap->search("shared text", nullptr, 5);
        if (!hits || hits->size() != 5) ++failures;
        ++searches;
      }
    });
  }
  for (int i = 1; i <= 20; ++i) {
    state->set(corpus(i % 2 ? "beta" : "alpha", 200 + i), "g" + std::to_string(i));
    auto stats = live.reload_if_changed();
    ASSERT_TRUE(stats.has_value());
    EXPECT_TRUE(stats->reloaded);
  }
  // Let every searcher finish at least one search on the last snapshot.
  const int seen = searches.load();
  while (searches.load() < seen + 8) std::this_thread::yield();
  done = true;
  for (auto& t : searchers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(live.current()->generation(), "g20");
  EXPECT_EQ(live.current()->size(), 220u);
}

}  // namespace
}  // namespace rag::retrieval
