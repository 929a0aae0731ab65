// Tests of the in-memory session store (injected clock) and the session id helpers.
#include "session/memory_session_store.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "common/testing/support.hpp"

namespace rag::session {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1000)};
  SteadyClock fn() { return [this] { return now; }; }
};

Message user(std::string c) { return {"user", std::move(c), ""}; }
Message bot(std::string c) { return {"assistant", std::move(c), ""}; }

TEST(SessionId, ValidatesCharactersAndLength) {
  EXPECT_TRUE(is_valid_session_id("abc-DEF_1.2:3"));
  EXPECT_TRUE(is_valid_session_id(std::string(128, 'a')));
  EXPECT_FALSE(is_valid_session_id(""));
  EXPECT_FALSE(is_valid_session_id(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_session_id("a b"));
  EXPECT_FALSE(is_valid_session_id("a/b"));
  EXPECT_FALSE(is_valid_session_id("é"));
}

TEST(SessionId, NewIdsAreRandomHexAndValid) {
  auto a = new_session_id();
  auto b = new_session_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_valid_session_id(a));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(MemorySessionStore, AppendTrimsOldestFirst) {
  MemorySessionStore store({.max_history = 4});
  for (int i = 0; i < 3; ++i) {
    store.append_now("s", user("q" + std::to_string(i)), bot("a" + std::to_string(i)));
  }
  auto h = store.get_now("s");
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].content, "q1");
  EXPECT_EQ(h[3].content, "a2");
  EXPECT_TRUE(store.get_now("unknown").empty());
  EXPECT_EQ(store.size(), 1u);
}

TEST(MemorySessionStore, KeepsAtMostMaxBytesOfMessagesOldestFirstOut) {
  MemorySessionStore store({.max_history = 20, .max_bytes = 4096});
  store.replace_now("s", {user(std::string(900'000, 'x')), bot("short")});
  auto h = store.get_now("s");
  ASSERT_EQ(h.size(), 1u);  // the 900 KB message is not kept
  EXPECT_EQ(h[0].content, "short");
  for (int i = 0; i < 5; ++i) store.append_now("s", user(std::string(1000, 'q')), bot("a"));
  h = store.get_now("s");
  std::size_t bytes = 0;
  for (const auto& m : h) bytes += m.role.size() + m.content.size() + m.timestamp.size();
  EXPECT_LE(bytes, 4096u);
  EXPECT_EQ(h.back().content, "a");  // the newest exchange is kept
  EXPECT_EQ(h[h.size() - 2].content, std::string(1000, 'q'));
}

TEST(MemorySessionStore, ReplaceKeepsTheNewestAndDeleteReportsExistence) {
  MemorySessionStore store({.max_history = 2});
  store.append_now("s", user("old"), bot("old"));
  store.replace_now("s", {user("1"), bot("2"), user("3")});
  auto h = store.get_now("s");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].content, "2");
  EXPECT_EQ(h[1].content, "3");
  EXPECT_TRUE(store.erase_now("s"));
  EXPECT_FALSE(store.erase_now("s"));
  EXPECT_TRUE(store.get_now("s").empty());
  EXPECT_EQ(store.size(), 0u);
}

TEST(MemorySessionStore, IdleSessionsExpireAndTheSweepLogsThem) {
  rag::testing::LogCapture logs;
  FakeClock clock;
  MemorySessionStore store({.idle_timeout = 1h}, clock.fn());
  store.append_now("idle", user("q"), bot("a"));
  store.append_now("busy", user("q"), bot("a"));
  clock.now += 40min;
  store.get_now("busy");  // a read is a use
  clock.now += 30min;     // idle: 70 min, busy: 30 min
  EXPECT_EQ(store.sweep_expired(), 1u);
  EXPECT_EQ(logs.count("Cleaned up 1 expired sessions"), 1);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_FALSE(store.get_now("busy").empty());
  clock.now += 2h;
  EXPECT_TRUE(store.get_now("busy").empty());  // expired even before a sweep
  EXPECT_EQ(store.size(), 0u);
}

TEST(MemorySessionStore, BackgroundSweepRunsOnItsTimer) {
  rag::testing::LogCapture logs;
  FakeClock clock;
  MemorySessionStore store({.idle_timeout = 1h}, clock.fn());
  store.append_now("a", user("q"), bot("a"));
  store.append_now("b", user("q"), bot("a"));
  clock.now += 2h;
  rag::testing::IoThreads io(1);
  store.start_sweeper(io.executor(), 20ms);
  EXPECT_TRUE(rag::testing::wait_until([&] { return store.size() == 0; }));
  EXPECT_TRUE(rag::testing::wait_until([&] { return logs.count("Cleaned up 2 expired sessions") == 1; }));
  store.stop_sweeper();
  io.join();
}

TEST(MemorySessionStore, EvictsTheLeastRecentlyUsedAtCapacity) {
  MemorySessionStore store({.max_sessions = 3});
  for (int i = 0; i < 3; ++i) store.append_now("s" + std::to_string(i), user("q"), bot("a"));
  store.get_now("s0");  // s1 is now the least recently used
  store.append_now("s3", user("q"), bot("a"));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_TRUE(store.get_now("s1").empty());
  EXPECT_FALSE(store.get_now("s0").empty());
  EXPECT_FALSE(store.get_now("s2").empty());
  EXPECT_FALSE(store.get_now("s3").empty());
  for (int i = 4; i < 200; ++i) store.append_now("s" + std::to_string(i), user("q"), bot("a"));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_FALSE(store.get_now("s199").empty());
}

TEST(MemorySessionStore, ConcurrentAppendsToOneSessionNeverCorruptIt) {
  MemorySessionStore store({.max_history = 100000, .max_bytes = SIZE_MAX});
  constexpr int kThreads = 8, kEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto tag = std::to_string(t) + ":" + std::to_string(i);
        store.append_now("shared", user(tag), bot(tag));
        if (i % 50 == 0) store.get_now("shared");
        store.append_now("other" + std::to_string(i % 7), user(tag), bot(tag));
      }
    });
  }
  for (auto& th : threads) th.join();
  auto h = store.get_now("shared");
  ASSERT_EQ(h.size(), 2u * kThreads * kEach);
  std::vector<int> next(kThreads, 0);
  for (size_t i = 0; i < h.size(); i += 2) {
    ASSERT_EQ(h[i].role, "user");
    ASSERT_EQ(h[i + 1].role, "assistant");
    ASSERT_EQ(h[i].content, h[i + 1].content);  // an exchange is never split
    const int t = std::stoi(h[i].content);
    EXPECT_EQ(h[i].content, std::to_string(t) + ":" + std::to_string(next[t]++));  // per-thread order
  }
  EXPECT_EQ(store.size(), 8u);
}

TEST(MemorySessionStore, AwaitableInterfaceMatchesTheSynchronousOne) {
  rag::testing::IoThreads io(1);
  MemorySessionStore store({.max_history = 4});
  SessionStore& s = store;
  EXPECT_TRUE(io.run(s.append("x", user("q"), bot("a"))));
  auto h = io.run(s.get("x"));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size(), 2u);
  EXPECT_EQ(*io.run(s.count()), 1u);
  EXPECT_TRUE(*io.run(s.erase("x")));
  io.join();
}

}  // namespace
}  // namespace rag::session
