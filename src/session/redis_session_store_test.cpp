// Tests of RedisSessionStore and FallbackSessionStore against a real redis-server: two store
// instances (two replicas) share sessions; trimming, TTL, delete, count; outage → local memory,
// logged once; recovery → back to Redis.
#include "session/redis_session_store.hpp"

#include <gtest/gtest.h>

#include "redis/testing/redis_fixture.hpp"

#include "redis/testing/redis_server.hpp"
#include "common/testing/support.hpp"
#include "session/fallback_session_store.hpp"
#include "session/memory_session_store.hpp"

namespace rag::session {
namespace {

using namespace std::chrono_literals;
using rag::testing::wait_until;

Message user(std::string c) { return {"user", std::move(c), "2024-01-15T10:30:45.123456"}; }
Message bot(std::string c) { return {"assistant", std::move(c), ""}; }

class RedisSessionTest : public rag::testing::RedisFixture {};

TEST_F(RedisSessionTest, ASessionWrittenByOneReplicaIsReadByAnother) {
  RedisSessionOptions opt{.max_history = 4, .idle_timeout = 1h, .key_prefix = "t1:"};
  RedisSessionStore a(client(0), opt), b(client(1), opt);
  ASSERT_TRUE(io_.run(a.append("conv", user("hello \"quoted\" ünïcode"), bot("hi"))));
  auto h = io_.run(b.get("conv"));
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0], user("hello \"quoted\" ünïcode"));
  EXPECT_EQ((*h)[1], bot("hi"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(io_.run(b.append("conv", user("q" + std::to_string(i)), bot("a"))));
  }
  h = io_.run(a.get("conv"));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 4u);  // trimmed, oldest first out
  EXPECT_EQ((*h)[0].content, "q1");
  const int ttl = std::stoi(server_.sync_command({"TTL", "t1:session:conv"}));
  EXPECT_GT(ttl, 3500);
  EXPECT_LE(ttl, 3600);
  EXPECT_EQ(*io_.run(a.count()), 1u);
}

TEST_F(RedisSessionTest, ReplaceDeleteAndUnknownSessions) {
  RedisSessionStore s(client(0), {.max_history = 2, .idle_timeout = 1h, .key_prefix = "t2:"});
  EXPECT_TRUE(io_.run(s.get("nobody"))->empty());
  ASSERT_TRUE(io_.run(s.replace("x", History{user("1"), bot("2"), user("3")})));
  auto h = io_.run(s.get("x"));
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].content, "2");
  EXPECT_EQ(*io_.run(s.count()), 1u);
  EXPECT_TRUE(*io_.run(s.erase("x")));
  EXPECT_FALSE(*io_.run(s.erase("x")));
  EXPECT_EQ(*io_.run(s.count()), 0u);
}

TEST_F(RedisSessionTest, KeepsAtMostMaxBytesOfStoredMessagesOldestFirstOut) {
  RedisSessionStore s(
      client(0), {.max_history = 20, .max_bytes = 4096, .idle_timeout = 1h, .key_prefix = "t4:"});
  ASSERT_TRUE(io_.run(s.replace("big", History{user(std::string(900'000, 'x')), bot("short")})));
  auto h = io_.run(s.get("big"));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 1u);  // the 900 KB message never reached Redis
  EXPECT_EQ((*h)[0].content, "short");
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(io_.run(s.append("big", user(std::string(1000, 'q')), bot("a"))));
  ASSERT_TRUE(io_.run(s.append("big", user(std::string(5000, 'z')), bot("b"))));
  h = io_.run(s.get("big"));
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 1u);  // the 5,000-byte question alone is over the bound
  EXPECT_EQ((*h)[0].content, "b");
  ASSERT_TRUE(io_.run(s.append("big", user(std::string(1000, 'q')), bot("c"))));
  const auto stored = std::stoul(server_.sync_command({"MEMORY", "USAGE", "t4:session:big"}));
  EXPECT_LT(stored, 8192u);
}

TEST_F(RedisSessionTest, FallsBackToMemoryWhileRedisIsDownAndReturns) {
  auto& c = client(0);
  RedisSessionStore shared(c, {.max_history = 10, .idle_timeout = 1h, .key_prefix = "t3:"});
  MemorySessionStore local({.max_history = 10});
  FallbackSessionStore store(shared, local, [&c] { return c.healthy(); });

  ASSERT_TRUE(io_.run(store.append("s", user("before"), bot("a"))));
  EXPECT_EQ(server_.sync_command({"LLEN", "t3:session:s"}), "2");
  EXPECT_EQ(local.size(), 0u);

  server_.stop();
  // Even before the client notices, calls succeed (an outage error is retried locally).
  ASSERT_TRUE(io_.run(store.append("s", user("during"), bot("b"))));
  ASSERT_TRUE(wait_until([&] { return !c.healthy(); }));
  ASSERT_TRUE(io_.run(store.append("s", user("during2"), bot("c"))));
  auto h = io_.run(store.get("s"));
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->empty());
  EXPECT_EQ(h->back().content, "c");
  EXPECT_EQ(local.size(), 1u);
  const auto attempts = c.connect_attempts();
  ASSERT_TRUE(wait_until([&] { return c.connect_attempts() >= attempts + 2; }));
  EXPECT_EQ(logs_.count("Redis unreachable"), 1);

  server_.start();
  ASSERT_TRUE(wait_until([&] { return c.healthy(); }));
  ASSERT_TRUE(io_.run(store.append("s", user("after"), bot("d"))));
  EXPECT_EQ(server_.sync_command({"LLEN", "t3:session:s"}), "2");  // Redis restarted empty
  EXPECT_EQ(logs_.count("Redis reachable again"), 1);
  EXPECT_TRUE(*io_.run(store.erase("s")));
  EXPECT_EQ(local.size(), 0u);  // erased in both places
}

}  // namespace
}  // namespace rag::session
