// IndexReloader's first load, which `serve` waits for before it listens: loaded, failed (no
// index) or still pending when the bound passes (an opener held on a latch, so no timing).
#include "retrieval/index_reloader.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "retrieval/testing/fake_index_reader.hpp"
#include "retrieval/testing/test_corpus.hpp"

namespace rag::retrieval {
namespace {

using namespace std::chrono_literals;
using testing::fake_opener;
using testing::FakeIndexState;

// The first load's outcome with an index on "disk" or none; `loaded` says whether a snapshot
// is in afterwards.
IndexReloader::FirstLoad first_load(bool index_exists, bool& loaded) {
  auto state = std::make_shared<FakeIndexState>();
  state->set(retrieval::testing::small_corpus(false), "g1");
  state->fail_open = !index_exists;
  LiveIndex index(fake_opener(state), {});
  IndexReloader reloader(index, 1h);
  const auto outcome = reloader.wait_for_first_load(1h);
  loaded = index.current() != nullptr;
  return outcome;
}

TEST(IndexReloader, FirstLoadReportsTheLoadedIndexOrAMissingOne) {
  bool loaded = false;
  EXPECT_EQ(first_load(true, loaded), IndexReloader::FirstLoad::kLoaded);
  EXPECT_TRUE(loaded);
  EXPECT_EQ(first_load(false, loaded), IndexReloader::FirstLoad::kFailed);
  EXPECT_FALSE(loaded);
}

TEST(IndexReloader, FirstLoadIsPendingWhileTheLoadOutlastsTheBound) {
  auto state = std::make_shared<FakeIndexState>();
  state->set(retrieval::testing::small_corpus(false), "g1");
  std::mutex mutex;
  std::condition_variable cv;
  bool released = false;
  auto opener = fake_opener(state);
  LiveIndex index(
      [&]() {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return released; });
        return opener();
      },
      {});
  IndexReloader reloader(index, 1h);
  EXPECT_EQ(reloader.wait_for_first_load(0ms), IndexReloader::FirstLoad::kPending);
  {
    std::lock_guard lock(mutex);
    released = true;
  }
  cv.notify_all();
  EXPECT_EQ(reloader.wait_for_first_load(1h), IndexReloader::FirstLoad::kLoaded);
}

}  // namespace
}  // namespace rag::retrieval
