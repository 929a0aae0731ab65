// SessionStore in Redis, shared by every replica: one list per session
// (`<prefix>session:<id>`, JSON messages, oldest first) with TTL = the idle timeout, refreshed on
// every use; trimming (to max_history messages and max_bytes bytes of stored JSON, oldest
// first: history_bounds.hpp), TTL and the active-session index (`<prefix>sessions`, a sorted set
// scored by last use in ms) change atomically in one Lua script per operation (EVALSHA).
//
// How to use it: RedisSessionStore store(client, {.max_history = ..., .idle_timeout = ...});
// then the SessionStore calls. Errors: kUnavailable / kTimeout while Redis is down (wrap it in
// FallbackSessionStore), kCorrupt for a stored value that is not a message.
// Thread-safety: any thread; the RedisClient must outlive the store.
#pragma once

#include <chrono>
#include <string>

#include "redis/redis_client.hpp"
#include "session/session_store.hpp"

namespace rag::session {

struct RedisSessionOptions {
  std::size_t max_history = 20;
  std::size_t max_bytes = 64 << 10;  // bytes of stored messages per session
  std::chrono::duration<double> idle_timeout = std::chrono::hours(24);
  std::string key_prefix = "rag:";
};

class RedisSessionStore final : public SessionStore {
 public:
  RedisSessionStore(redis::RedisClient& client, RedisSessionOptions options);

  asio::awaitable<Result<History>> get(std::string id) override;
  asio::awaitable<Result<void>> append(std::string id, Message user, Message assistant) override;
  asio::awaitable<Result<void>> replace(std::string id, History history) override;
  asio::awaitable<Result<bool>> erase(std::string id) override;
  asio::awaitable<Result<std::size_t>> count() override;

 private:
  std::string list_key(const std::string& id) const { return options_.key_prefix + "session:" + id; }
  std::string index_key() const { return options_.key_prefix + "sessions"; }
  // ARGV common to the writing scripts: ttl seconds, max history, now ms, id, max bytes.
  std::vector<std::string> write_args(const std::string& id) const;

  redis::RedisClient& client_;
  RedisSessionOptions options_;
};

}  // namespace rag::session
