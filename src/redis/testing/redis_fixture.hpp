// A GoogleTest fixture with a real redis-server on a free port and as many clients as a test
// asks for (client(0), client(1), ... stand for replicas), reconnecting fast for outage tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "redis/redis_client.hpp"
#include "redis/redis_url.hpp"
#include "redis/testing/redis_server.hpp"
#include "common/testing/support.hpp"

namespace rag::testing {

class RedisFixture : public ::testing::Test {
 protected:
  // The i-th client (created on first use, connected before it is returned).
  redis::RedisClient& client(int i) {
    using namespace std::chrono_literals;
    while (static_cast<int>(clients_.size()) <= i) {
      redis::RedisOptions o;
      o.command_timeout = 500ms;
      o.backoff_initial = 20ms;
      o.backoff_max = 200ms;
      o.health_interval = 100ms;
      clients_.push_back(std::make_unique<redis::RedisClient>(
          io_.executor(), *redis::parse_redis_url(server_.url()), o));
      clients_.back()->start();
      EXPECT_TRUE(wait_until([&] { return clients_.back()->healthy(); }));
    }
    return *clients_[i];
  }
  void TearDown() override {
    for (auto& c : clients_) c->stop();
    io_.join();
  }

  LogCapture logs_;
  RedisServer server_;
  IoThreads io_;
  std::vector<std::unique_ptr<redis::RedisClient>> clients_;
};

}  // namespace rag::testing
