// An asynchronous Redis client on the server's io_context: hiredis' async API driven by a small
// Asio adapter (hiredis_asio.hpp), exposed as C++20 coroutines.
//
// How to use it:
//   auto ep = redis::parse_redis_url(cfg.redis_url);          // never log the URL itself
//   redis::RedisClient client(ioc.get_executor(), *ep);
//   client.start();                                          // connects in the background
//   auto r = co_await client.command({"SET", "k", "v"});      // Result<RedisReply>
//   static const redis::RedisScript kScript("return 1");
//   auto s = co_await client.eval(kScript, {"key"}, {"arg"}); // EVALSHA, EVAL on NOSCRIPT
//   if (!client.healthy()) ... use local state ...             // and say so in /readyz
//   client.stop();                                           // before the io_context goes away
//
// Behaviour: one connection, pipelined. While Redis is down every call fails at once with
// kUnavailable (no queueing), so callers fall back to local state without waiting. Each command
// has a timeout (kTimeout); a timed-out command marks the connection broken and it is replaced.
// Reconnection runs in the background with exponential backoff; a health PING runs while idle.
// State changes are logged once per change: "Redis unreachable at host:port, falling back to
// local state" / "Redis reachable again at host:port". The password is never logged.
// Name resolution of the host (getaddrinfo inside hiredis) blocks one worker briefly per
// connection attempt; use an IP or a local name.
//
// Thread-safety: all methods may be called from any thread; the connection lives on an internal
// strand. Lifetime: call stop() and let the io_context run its remaining handlers before
// destroying the io_context; the destructor calls stop().
#pragma once

#include <utility>  // before Asio (Boost 1.74 + C++23)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "redis/redis_reply.hpp"
#include "redis/redis_url.hpp"

namespace rag::observability {
struct Telemetry;
}

namespace rag::redis {

namespace asio = boost::asio;

struct RedisOptions {
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds health_interval{5000};  // idle PING period; 0 disables it
};

// A Lua script with its SHA1, computed once.
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;  // lower-case hex
};

enum class RedisState { kConnecting, kUp, kDown, kStopped };

class RedisClient {
 public:
  RedisClient(asio::any_io_executor executor, RedisEndpoint endpoint, RedisOptions options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Starts connecting (and reconnecting forever with backoff) in the background.
  void start();
  // Closes the connection, fails pending commands with kUnavailable, stops reconnecting.
  void stop();

  // One command, argv style (binary-safe). Error replies → Error{kUpstream, text}.
  asio::awaitable<Result<RedisReply>> command(std::vector<std::string> argv);
  // EVALSHA script.sha1 keys args; on NOSCRIPT, EVAL with the source (which caches it).
  // REQUIRES: `script` outlives the call (make it a static const).
  asio::awaitable<Result<RedisReply>> eval(const RedisScript& script, std::vector<std::string> keys,
                                           std::vector<std::string> args);

  // True while connected and answering (cheap; an atomic read).
  bool healthy() const;
  RedisState state() const;
  // "host:port", for logs and /readyz.
  std::string describe() const;
  // Connection attempts made so far (observability and tests).
  std::uint64_t connect_attempts() const;
  // rag_redis_up and the "redis" readiness check, which says the state only (where Redis is
  // goes to the log). At start-up; REQUIRES: this client outlives every scrape.
  void publish(observability::Telemetry& telemetry) const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rag::redis
