// Tests of the Redis limiter against a real redis-server: the limit holds across two limiter
// instances (two replicas), the window slides (injected clock), Redis down → local limits,
// logged once, and back to Redis when it returns.
#include "ratelimit/redis_rate_limiter.hpp"

#include <gtest/gtest.h>

#include "redis/testing/redis_fixture.hpp"

#include "ratelimit/fallback_rate_limiter.hpp"
#include "ratelimit/memory_rate_limiter.hpp"
#include "redis/testing/redis_server.hpp"
#include "common/testing/support.hpp"

namespace rag::ratelimit {
namespace {

using namespace std::chrono_literals;
using rag::testing::wait_until;

const config::RateLimitSpec kFivePerMinute{true, 5, 60, "minute"};

class RedisRateLimitTest : public rag::testing::RedisFixture {};

TEST_F(RedisRateLimitTest, TheLimitHoldsAcrossTwoReplicas) {
  RedisRateLimiter a(client(0)), b(client(1));
  int allowed = 0;
  for (int i = 0; i < 10; ++i) {
    RedisRateLimiter& l = i % 2 ? a : b;
    auto d = io_.run(l.try_check("chat", "9.9.9.9", kFivePerMinute));
    ASSERT_TRUE(d) << d.error().message;
    allowed += d->allowed;
    EXPECT_EQ(d->limit, 5);
    if (i < 5) {
      EXPECT_TRUE(d->allowed);
      EXPECT_EQ(d->remaining, 4 - i);
    } else {
      EXPECT_FALSE(d->allowed);
      EXPECT_GT(d->retry_after_s, 0);
      EXPECT_LE(d->retry_after_s, 60);
    }
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_TRUE(io_.run(a.try_check("chat", "8.8.8.8", kFivePerMinute))->allowed);
  const int pttl = std::stoi(server_.sync_command({"PTTL", "rag:rl:chat:9.9.9.9"}));
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 60000);
}

TEST_F(RedisRateLimitTest, ConcurrentReplicasNeverOverAdmit) {
  RedisRateLimiter a(client(0)), b(client(1));
  const config::RateLimitSpec spec{true, 50, 60, "minute"};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        auto d = io_.run((t % 2 ? a : b).try_check("search", "7.7.7.7", spec));
        if (d && d->allowed) ++allowed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 50);
}

TEST_F(RedisRateLimitTest, TheWindowSlidesWithAnInjectedClock) {
  auto now = std::chrono::system_clock::now();
  RedisRateLimiter l(client(0), "t:", [&now] { return now; });
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(io_.run(l.try_check("chat", "1.1.1.1", kFivePerMinute))->allowed);
    now += 10s;
  }
  auto refused = io_.run(l.try_check("chat", "1.1.1.1", kFivePerMinute));
  EXPECT_FALSE(refused->allowed);
  EXPECT_NEAR(refused->retry_after_s, 10, 1e-3);  // t=50; the t=0 request leaves at 60
  now += 10s;
  EXPECT_TRUE(io_.run(l.try_check("chat", "1.1.1.1", kFivePerMinute))->allowed);
  EXPECT_FALSE(io_.run(l.try_check("chat", "1.1.1.1", kFivePerMinute))->allowed);
}

TEST_F(RedisRateLimitTest, FallsBackToLocalLimitsAndReturnsToRedis) {
  auto& c = client(0);
  RedisRateLimiter shared(c);
  MemoryRateLimiter local;
  FallbackRateLimiter limiter(shared, local, [&c] { return c.healthy(); });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(io_.run(limiter.check("chat", "5.5.5.5", kFivePerMinute)).allowed);
  EXPECT_EQ(local.key_count(), 0u);

  server_.stop();
  // Local limits from the first failing call on: 5 allowed locally, then refused.
  int allowed = 0;
  for (int i = 0; i < 8; ++i) allowed += io_.run(limiter.check("chat", "5.5.5.5", kFivePerMinute)).allowed;
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(local.key_count(), 1u);
  ASSERT_TRUE(wait_until([&] { return !c.healthy(); }));
  const auto attempts = c.connect_attempts();
  ASSERT_TRUE(wait_until([&] { return c.connect_attempts() >= attempts + 2; }));
  EXPECT_EQ(logs_.count("Redis unreachable"), 1);

  server_.start();  // empty again: a fresh shared window
  ASSERT_TRUE(wait_until([&] { return c.healthy(); }));
  auto d = io_.run(limiter.check("chat", "5.5.5.5", kFivePerMinute));
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 4);
  EXPECT_EQ(server_.sync_command({"ZCARD", "rag:rl:chat:5.5.5.5"}), "1");
  EXPECT_EQ(logs_.count("Redis reachable again"), 1);
}

}  // namespace
}  // namespace rag::ratelimit
