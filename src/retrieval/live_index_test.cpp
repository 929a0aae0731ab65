#include "retrieval/live_index.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "retrieval/fake_index_reader.hpp"
#include "retrieval/test_corpus.hpp"

namespace rag::retrieval {
namespace {

using testing::FakeIndexState;
using testing::make_chunk;

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
