// Tests of the Redis client: URL parsing (pure) and behaviour against a real redis-server
// (commands, scripts with NOSCRIPT fallback, error replies, timeouts, outage and recovery with
// one log line per state change).
#include "redis/redis_client.hpp"

#include <gtest/gtest.h>

#include "common/testing/support.hpp"
#include "redis/testing/redis_fixture.hpp"

namespace rag::redis {
namespace {

using rag::testing::wait_until;
using namespace std::chrono_literals;

TEST(RedisUrl, ParsesHostPortDbAndPassword) {
  auto ep = parse_redis_url("redis://:s3cr%40t@cache.local:6380/2");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "cache.local");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 2);
  EXPECT_EQ(ep->password, "s3cr@t");
  EXPECT_EQ(ep->describe(), "cache.local:6380");  // no password
  auto plain = parse_redis_url("redis://localhost");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  auto v6 = parse_redis_url("redis://user:pw@[::1]:7000/0");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->username, "user");
  EXPECT_EQ(v6->describe(), "[::1]:7000");
}

TEST(RedisUrl, RejectsBadUrlsWithoutEchoingThem) {
  for (const char* bad : {"http://x", "rediss://h:1", "redis://:pw@h:99999", "redis://h/x",
                          "redis://", "redis://[::1"}) {
    auto ep = parse_redis_url(bad);
    EXPECT_FALSE(ep) << bad;
    if (!ep) {
      EXPECT_EQ(ep.error().message.find("pw"), std::string::npos);
    }
  }
}

// Commands time out after 300 ms here (the hung-server test waits for it).
class RedisClientTest : public rag::testing::RedisFixture {
 protected:
  RedisClient* make_client(const RedisEndpoint& ep) { return &add_client(ep, fast_options(300ms)); }
  RedisClient* make_client() { return make_client(server_endpoint()); }
};

TEST_F(RedisClientTest, RunsCommandsAndScripts) {
  auto* client = make_client();
  ASSERT_TRUE(wait_until([&] { return client->healthy(); }));
  auto set = io_.run(client->command({"SET", "k", std::string("a\0b", 3)}));
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->str, "OK");
  auto get = io_.run(client->command({"GET", "k"}));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->str, std::string("a\0b", 3));
  auto missing = io_.run(client->command({"GET", "nope"}));
  ASSERT_TRUE(missing);
  EXPECT_TRUE(missing->is_nil());

  auto bad = io_.run(client->command({"INCR", "k"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUpstream);

  static const RedisScript kScript("return {KEYS[1], ARGV[1], 42}");
  server_.sync_command({"SCRIPT", "FLUSH"});
  for (int i = 0; i < 2; ++i) {  // first via EVAL after NOSCRIPT, then via EVALSHA
    auto r = io_.run(client->eval(kScript, {"key"}, {"arg"}));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->elements.size(), 3u);
    EXPECT_EQ(r->elements[0].str, "key");
    EXPECT_EQ(r->elements[1].str, "arg");
    EXPECT_EQ(r->elements[2].integer, 42);
  }
  EXPECT_EQ(server_.sync_command({"SCRIPT", "EXISTS", kScript.sha1()}), "");  // array reply
}

TEST_F(RedisClientTest, SelectsTheDatabaseFromTheUrl) {
  auto ep = *parse_redis_url("redis://127.0.0.1:" + std::to_string(server_.port()) + "/3");
  auto* client = make_client(ep);
  ASSERT_TRUE(wait_until([&] { return client->healthy(); }));
  auto info = io_.run(client->command({"CLIENT", "INFO"}));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_NE(info->str.find(" db=3 "), std::string::npos) << info->str;
}

TEST_F(RedisClientTest, ManyConcurrentCommandsFromSeveralThreads) {
  auto* client = make_client();
  ASSERT_TRUE(wait_until([&] { return client->healthy(); }));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto r = io_.run(client->command({"INCR", "counter"}));
        if (r && r->type == RedisReply::Type::kInteger) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(server_.sync_command({"GET", "counter"}), "800");
}

TEST_F(RedisClientTest, OutageFailsFastLogsOnceAndRecovers) {
  auto* client = make_client();
  ASSERT_TRUE(wait_until([&] { return client->healthy(); }));

  server_.stop();
  ASSERT_TRUE(wait_until([&] { return !client->healthy(); }));
  const auto attempts = client->connect_attempts();
  ASSERT_TRUE(wait_until([&] { return client->connect_attempts() >= attempts + 3; }));
  auto r = io_.run(client->command({"PING"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(logs_.count("Redis unreachable at 127.0.0.1:" + std::to_string(server_.port()) +
                        ", falling back to local state"),
            1);

  server_.start();
  ASSERT_TRUE(wait_until([&] { return client->healthy(); }));
  auto again = io_.run(client->command({"PING"}));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->str, "PONG");
  EXPECT_EQ(logs_.count("Redis reachable again"), 1);
  EXPECT_EQ(logs_.count("Redis unreachable"), 1);
}

TEST_F(RedisClientTest, HungServerTimesOutAndReconnectsAfterwards) {
  auto* client = make_client();
  ASSERT_TRUE(wait_until([&] { return client->healthy(); }));
  server_.pause();
  auto r = io_.run(client->command({"PING"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  ASSERT_TRUE(wait_until([&] { return !client->healthy(); }));
  server_.resume();
  ASSERT_TRUE(wait_until([&] { return client->healthy(); }));
  EXPECT_TRUE(io_.run(client->command({"PING"})));
}

TEST_F(RedisClientTest, PasswordIsUsedAndNeverLogged) {
  server_.sync_command({"CONFIG", "SET", "requirepass", "hunter2"});
  auto ep = *parse_redis_url("redis://:hunter2@127.0.0.1:" + std::to_string(server_.port()));
  auto* good = make_client(ep);
  ASSERT_TRUE(wait_until([&] { return good->healthy(); }));
  ep.password = "wrong-pass";
  auto* bad = make_client(ep);
  ASSERT_TRUE(wait_until([&] { return bad->connect_attempts() >= 2; }));
  EXPECT_FALSE(bad->healthy());
  EXPECT_EQ(logs_.count("hunter2"), 0);
  EXPECT_EQ(logs_.count("wrong-pass"), 0);
}

}  // namespace
}  // namespace rag::redis
