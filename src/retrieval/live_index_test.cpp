#include "retrieval/live_index.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "retrieval/testing/fake_index_reader.hpp"
#include "retrieval/testing/test_corpus.hpp"

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

// An index of generation g1 whose vectors call for a graph (threshold 2), the graph file's
// place, and the snapshot `rag-server index` stores the graph from.
class LiveIndexGraph : public ::testing::Test {
 protected:
  LiveIndexGraph() : file_(dir_.path() / "vectors.faiss") {
    state_->set(testing::small_corpus(true), "g1");
    options_.vectors.approximate_threshold = 2;
    auto built = Snapshot::build(testing::small_corpus(true), {}, "g1", options_);
    EXPECT_TRUE(built.has_value());
    indexer_side_ = *built;
  }
  LiveIndex live() {
    return LiveIndex(testing::fake_opener(state_), options_, std::make_unique<StoredGraph>(file_));
  }
  // What `rag-server index` does at its end (update_stored_graph).
  bool store_graph(const std::string& content = "g1") {
    return indexer_side_->vectors()
        ->save(file_, vector_stamp(VectorIndexKind::kIvf, 3, content))
        .has_value();
  }

  ScratchDir dir_;
  std::filesystem::path file_;
  std::shared_ptr<FakeIndexState> state_ = std::make_shared<FakeIndexState>();
  SnapshotOptions options_;
  std::shared_ptr<const Snapshot> indexer_side_;
};

TEST_F(LiveIndexGraph, ReloadsOnceTheAwaitedGraphIsStored) {
  auto live = this->live();
  auto first = live.reload();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->awaiting_graph);
  EXPECT_FALSE(first->approximate());
  EXPECT_FALSE(live.reload_if_changed()->reloaded);  // nothing new yet

  ASSERT_TRUE(store_graph());
  auto second = live.reload_if_changed();
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->reloaded);
  EXPECT_TRUE(second->approximate());
  EXPECT_FALSE(second->awaiting_graph);
  EXPECT_TRUE(live.current()->approximate());
  EXPECT_FALSE(live.reload_if_changed()->reloaded);
  EXPECT_EQ(state_->loads, 2);
}

TEST_F(LiveIndexGraph, AGraphFileThatFailsToLoadIsNotRetriedUntilReplaced) {
  ASSERT_TRUE(store_graph());
  {  // damage FAISS's part behind a header that still matches: its type code
    std::fstream f(file_, std::ios::in | std::ios::out | std::ios::binary);
    std::string line;
    for (int i = 0; i < 3; ++i) std::getline(f, line);
    f.seekp(f.tellg());
    f.write("XXXX", 4);
  }
  auto live = this->live();
  auto first = live.reload();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->awaiting_graph);
  EXPECT_FALSE(live.reload_if_changed()->reloaded);  // no reload loop on a bad file
  EXPECT_EQ(state_->loads, 1);

  ASSERT_TRUE(store_graph());  // replaced by a good one: tried again
  auto second = live.reload_if_changed();
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->reloaded);
  EXPECT_TRUE(second->approximate());
}

TEST_F(LiveIndexGraph, AnIndexStoredForOtherContentIsNotSearched) {
  ASSERT_TRUE(store_graph("g0"));  // before the index's last change
  auto live = this->live();
  auto first = live.reload();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->awaiting_graph);
  EXPECT_FALSE(first->approximate());
  EXPECT_NE(first->graph_note.find("built for other vectors"), std::string::npos)
      << first->graph_note;
  const std::vector<float> query{0, 0, 1};
  auto hits = live.current()->search("nothing matches", &query, 1);  // exact meanwhile
  ASSERT_TRUE(hits);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().chunk_id, 3);
}

TEST_F(LiveIndexGraph, BelowTheThresholdNoIndexIsAwaited) {
  options_.vectors.approximate_threshold = 5;  // 4 vectors
  auto live = this->live();
  auto loaded = live.reload();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_FALSE(loaded->awaiting_graph);
  EXPECT_FALSE(loaded->approximate());
  EXPECT_TRUE(loaded->graph_note.empty());
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
