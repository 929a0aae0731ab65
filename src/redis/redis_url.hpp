// Where the Redis server is: parsed from REDIS_URL (`redis://[[user]:password@]host[:port][/db]`).
// The password never reaches a log line: `describe()` gives "host:port" only.
//
// Thread-safety: plain values; parse_redis_url is a pure function.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rag::redis {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;  // Redis 6 ACL user; empty = default user
  std::string password;  // secret: goes on the wire in AUTH, nowhere else

  // "host:port" (IPv6 hosts in brackets); safe to log.
  std::string describe() const;
};

// Errors name the problem but never echo the URL (it may carry a password).
Result<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace rag::redis
