// Tests of the in-memory sliding-log limiter with an injected clock.
#include "ratelimit/memory_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "common/testing/support.hpp"

namespace rag::ratelimit {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  SteadyClock fn() { return [this] { return now; }; }
};

const config::RateLimitSpec kFivePerMinute{true, 5, 60, "minute"};

TEST(MemoryRateLimiter, FiveAllowedSixthRefusedAndTheWindowSlides) {
  FakeClock clock;
  MemoryRateLimiter limiter({}, clock.fn());
  for (int i = 0; i < 5; ++i) {
    auto d = limiter.check_now("chat", "1.2.3.4", kFivePerMinute);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_DOUBLE_EQ(d.retry_after_s, 0);
    clock.now += 10s;  // requests at 0, 10, 20, 30, 40 s
  }
  clock.now = clock.now - 10s + 5s;  // t = 45 s
  auto refused = limiter.check_now("chat", "1.2.3.4", kFivePerMinute);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_NEAR(refused.retry_after_s, 15, 1e-6);  // the request at t=0 leaves the window at 60 s
  EXPECT_NEAR(refused.reset_after_s, 55, 1e-6);  // the one at t=40 leaves at 100 s
  // Other clients and routes have their own windows.
  EXPECT_TRUE(limiter.check_now("chat", "5.6.7.8", kFivePerMinute).allowed);
  EXPECT_TRUE(limiter.check_now("search", "1.2.3.4", kFivePerMinute).allowed);

  clock.now += 14s;  // t = 59 s: still 5 in the window
  EXPECT_FALSE(limiter.check_now("chat", "1.2.3.4", kFivePerMinute).allowed);
  clock.now += 1s;  // t = 60 s: the first one slid out, exactly one slot
  auto again = limiter.check_now("chat", "1.2.3.4", kFivePerMinute);
  EXPECT_TRUE(again.allowed);
  EXPECT_EQ(again.remaining, 0);
  auto next = limiter.check_now("chat", "1.2.3.4", kFivePerMinute);
  EXPECT_FALSE(next.allowed);
  EXPECT_NEAR(next.retry_after_s, 10, 1e-6);  // the request at t=10 leaves at 70 s
}

TEST(MemoryRateLimiter, RefusedRequestsAreNotCountedAndOffAllowsAll) {
  FakeClock clock;
  MemoryRateLimiter limiter({}, clock.fn());
  const config::RateLimitSpec two_per_second{true, 2, 1, "second"};
  for (int i = 0; i < 100; ++i) limiter.check_now("h", "ip", two_per_second);
  clock.now += 1s;
  EXPECT_TRUE(limiter.check_now("h", "ip", two_per_second).allowed);
  EXPECT_TRUE(limiter.check_now("h", "ip", two_per_second).allowed);
  EXPECT_FALSE(limiter.check_now("h", "ip", two_per_second).allowed);
  const config::RateLimitSpec off{false, 0, 60, "minute"};
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.check_now("h", "ip", off).allowed);
  EXPECT_EQ(limiter.check_now("h", "ip", off).limit, 0);
}

TEST(MemoryRateLimiter, KeysAreBoundedAndIdleOnesSwept) {
  FakeClock clock;
  MemoryRateLimiter limiter({.max_keys = 32}, clock.fn());
  for (int i = 0; i < 5000; ++i) {
    limiter.check_now("chat", "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                      kFivePerMinute);
    ASSERT_LE(limiter.key_count(), 32u);
  }
  EXPECT_GT(limiter.key_count(), 0u);
  clock.now += 61s;
  EXPECT_GT(limiter.sweep_expired(), 0u);
  EXPECT_EQ(limiter.key_count(), 0u);
}

TEST(MemoryRateLimiter, BackgroundSweepDropsIdleKeys) {
  FakeClock clock;
  MemoryRateLimiter limiter({}, clock.fn());
  limiter.check_now("chat", "1.1.1.1", kFivePerMinute);
  clock.now += 2min;
  rag::testing::IoThreads io(1);
  limiter.start_sweeper(io.executor(), 20ms);
  EXPECT_TRUE(rag::testing::wait_until([&] { return limiter.key_count() == 0; }));
  limiter.stop_sweeper();
  io.join();
}

TEST(MemoryRateLimiter, ConcurrentChecksNeverOverAdmit) {
  MemoryRateLimiter limiter;
  const config::RateLimitSpec spec{true, 1000, 3600, "hour"};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) allowed += limiter.check_now("chat", "ip", spec).allowed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(MemoryRateLimiter, AwaitableCheck) {
  rag::testing::IoThreads io(1);
  MemoryRateLimiter limiter;
  RateLimiter& l = limiter;
  EXPECT_TRUE(io.run(l.check("chat", "ip", kFivePerMinute)).allowed);
  io.join();
}

}  // namespace
}  // namespace rag::ratelimit
