#include "retrieval/index_watcher.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "retrieval/fake_index_reader.hpp"
#include "retrieval/test_corpus.hpp"

namespace rag::retrieval {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Waits (bounded) until `done()` holds; polls because the watcher has no completion hook.
template <class Pred>
bool wait_for(Pred done, std::chrono::seconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(IndexWatcher, ReloadsOnANewGenerationKeepsOldOnFailureAndStopsOnCancel) {
  auto state = std::make_shared<testing::FakeIndexState>();
  state->set(testing::small_corpus(false), "g1");
  LiveIndex live(testing::fake_opener(state), {});
  ASSERT_TRUE(live.reload().has_value());

  asio::io_context ctx;
  auto stop = make_cancel_token();
  std::atomic<bool> finished{false};
  asio::co_spawn(ctx, watch_index(live, 5ms, stop),
                 [&](std::exception_ptr) { finished = true; });
  std::thread runner([&] { ctx.run(); });

  {
    std::lock_guard lock(state->mutex);
    state->fail_open = true;
  }
  const int opens_before = [&] { std::lock_guard l(state->mutex); return state->opens; }();
  EXPECT_TRUE(wait_for([&] {
    std::lock_guard l(state->mutex);
    return state->opens >= opens_before + 3;
  }));
  EXPECT_EQ(live.current()->generation(), "g1");  // failed polls keep the snapshot

  auto next = testing::small_corpus(false);
  next.pop_back();
  {
    std::lock_guard lock(state->mutex);
    state->fail_open = false;
    state->chunks = std::move(next);
    state->generation = "g2";
  }
  EXPECT_TRUE(wait_for([&] { return live.current()->generation() == "g2"; }));
  EXPECT_EQ(live.current()->size(), 3u);

  stop->cancel();
  runner.join();  // run() returns once the watcher has ended
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace rag::retrieval
