#include "retrieval/embedding_cache.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace rag::retrieval {
namespace {

TEST(EmbeddingCache, ReturnsWhatWasPut) {
  EmbeddingCache cache(4);
  EXPECT_FALSE(cache.get("m", "q").has_value());
  cache.put("m", "q", {1, 2});
  ASSERT_TRUE(cache.get("m", "q").has_value());
  EXPECT_EQ(*cache.get("m", "q"), (std::vector<float>{1, 2}));
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(EmbeddingCache, EvictsTheLeastRecentlyUsed) {
  EmbeddingCache cache(2);
  cache.put("m", "a", {1});
  cache.put("m", "b", {2});
  ASSERT_TRUE(cache.get("m", "a"));  // a is now the most recent
  cache.put("m", "c", {3});          // evicts b
  EXPECT_TRUE(cache.get("m", "a"));
  EXPECT_FALSE(cache.get("m", "b"));
  EXPECT_TRUE(cache.get("m", "c"));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(EmbeddingCache, KeysIncludeTheModel) {
  EmbeddingCache cache(4);
  cache.put("small", "q", {1});
  EXPECT_FALSE(cache.get("large", "q"));
  cache.put("large", "q", {2});
  EXPECT_EQ(*cache.get("small", "q"), std::vector<float>{1});
  EXPECT_EQ(*cache.get("large", "q"), std::vector<float>{2});
}

TEST(EmbeddingCache, PutReplacesAnExistingEntry) {
  EmbeddingCache cache(1);
  cache.put("m", "q", {1});
  cache.put("m", "q", {2});
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.get("m", "q"), std::vector<float>{2});
}

TEST(EmbeddingCache, ZeroCapacityCachesNothing) {
  EmbeddingCache cache(0);
  cache.put("m", "q", {1});
  EXPECT_FALSE(cache.get("m", "q"));
}

TEST(EmbeddingCache, ConcurrentUseStaysBounded) {
  EmbeddingCache cache(16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string q = std::to_string((i * 7 + t) % 40);
        if (!cache.get("m", q)) cache.put("m", q, {static_cast<float>(i)});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(cache.size(), 16u);
  EXPECT_EQ(cache.hits() + cache.misses(), 20000u);
}

}  // namespace
}  // namespace rag::retrieval
