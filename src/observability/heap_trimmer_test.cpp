// Tests of the heap trimmer against glibc's real allocator: memory freed in the middle of the
// heap (live blocks between the holes, as a load spike leaves it) stays resident until the
// trimmer hands it back, once; nothing is trimmed under either threshold.
#include "observability/heap_trimmer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace rag::observability {
namespace {

#ifdef RAG_GLIBC_MALLOC
constexpr bool kGlibcMalloc = true;
#else
constexpr bool kGlibcMalloc = false;  // a sanitizer's allocator: the trimmer does nothing
#endif

constexpr std::size_t kBlock = 16 * 1024;  // well under glibc's mmap threshold: heap memory
constexpr std::size_t kBlocks = 8192;      // 128 MiB in all

// Fills 128 MiB of heap, then frees 7 blocks of every 8: 112 MiB of holes that cannot merge
// into the top of the heap, which is what glibc would return by itself.
std::vector<std::unique_ptr<char[]>> fragment_the_heap() {
  std::vector<std::unique_ptr<char[]>> blocks(kBlocks);
  for (auto& b : blocks) {
    b.reset(new char[kBlock]);
    std::memset(b.get(), 1, kBlock);  // resident, not only reserved
  }
  for (std::size_t i = 0; i < kBlocks; ++i)
    if (i % 8 != 7) blocks[i].reset();
  return blocks;
}

TEST(HeapTrimmer, HandsBackTheMemoryFreedBetweenLiveBlocksOnce) {
  if (!kGlibcMalloc) GTEST_SKIP() << "not glibc's allocator";
  const std::size_t floor = HeapTrimmer::slack();
  const auto kept = fragment_the_heap();
  const HeapTrimOptions options;  // 32 MB and a quarter of the resident memory
  const auto trim = HeapTrimmer::trim_if_over(floor, options);
  ASSERT_TRUE(trim.trimmed);
  EXPECT_GE(trim.slack_before, floor + (std::size_t{100} << 20));  // the holes were resident...
  ASSERT_GT(trim.rss_before, trim.rss_after);
  EXPECT_GE(trim.rss_before - trim.rss_after, std::size_t{80} << 20);  // ...and are returned
  EXPECT_LT(trim.slack_after, trim.slack_before);

  // What is left becomes the floor: the next period does not trim again.
  const auto again = HeapTrimmer::trim_if_over(trim.slack_after, options);
  EXPECT_FALSE(again.trimmed);
}

TEST(HeapTrimmer, LeavesTheHeapAloneUnderEitherThreshold) {
  if (!kGlibcMalloc) GTEST_SKIP() << "not glibc's allocator";
  const std::size_t floor = HeapTrimmer::slack();
  const auto kept = fragment_the_heap();
  HeapTrimOptions by_bytes;
  by_bytes.min_bytes = std::size_t{1} << 30;  // 1 GiB of growth
  EXPECT_FALSE(HeapTrimmer::trim_if_over(floor, by_bytes).trimmed);
  HeapTrimOptions by_share;
  by_share.rss_fraction = 0.95;  // the holes are less than 95 % of the resident memory
  const auto trim = HeapTrimmer::trim_if_over(floor, by_share);
  EXPECT_FALSE(trim.trimmed);
  EXPECT_GE(trim.slack_before, floor + (std::size_t{100} << 20));
  EXPECT_EQ(trim.rss_after, trim.rss_before);
}

}  // namespace
}  // namespace rag::observability
