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
  // Options that reconnect fast, for outage tests.
  static redis::RedisOptions fast_options(
      std::chrono::milliseconds command_timeout = std::chrono::milliseconds(500)) {
    using namespace std::chrono_literals;
    redis::RedisOptions o;
    o.command_timeout = command_timeout;
    o.backoff_initial = 20ms;
    o.backoff_max = 200ms;
    o.health_interval = 100ms;
    return o;
  }
  // A new client of `endpoint`, started (connecting in the background).
  redis::RedisClient& add_client(const redis::RedisEndpoint& endpoint,
                                 const redis::RedisOptions& options = fast_options()) {
    clients_.push_back(std::make_unique<redis::RedisClient>(io_.executor(), endpoint, options));
    clients_.back()->start();
    return *clients_.back();
  }
  redis::RedisEndpoint server_endpoint() const { return *redis::parse_redis_url(server_.url()); }
  // The i-th client of the server (created on first use, connected before it is returned).
  redis::RedisClient& client(int i) {
    while (static_cast<int>(clients_.size()) <= i) {
      auto& added = add_client(server_endpoint());
      EXPECT_TRUE(wait_until([&] { return added.healthy(); }));
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
