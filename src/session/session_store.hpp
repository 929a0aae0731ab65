// The conversation memory behind POST /chat: an abstract SessionStore with three
// implementations — MemorySessionStore (one process), RedisSessionStore (shared by replicas) and
// FallbackSessionStore (Redis while it answers, local memory while it does not).
//
// How to use it (api/ and rag/):
//   if (!session::is_valid_session_id(id)) → 422;      no id → session::new_session_id()
//   auto history = co_await store.get(id);              // oldest first; empty when unknown
//   co_await store.append(id, {"user", q, ts}, {"assistant", answer, ts});   // trims to max
//   co_await store.replace(id, request_history);        // a request's `history` replaces it
//   auto existed = co_await store.erase(id);            // DELETE /sessions/{id}
//   auto n = co_await store.count();                    // active sessions, for /metrics
// Every call is a use: it refreshes the session's idle timer. Errors: kUnavailable/kTimeout
// only from RedisSessionStore (the fallback store never returns them).
//
// Thread-safety: every implementation may be called concurrently from any io_context thread.
// Arguments are taken by value, so temporaries are safe across the co_await.
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rag::session {

namespace asio = boost::asio;

struct Message {
  std::string role;       // "user" | "assistant"
  std::string content;
  std::string timestamp;  // ISO 8601 local time as sent/produced; may be empty
  bool operator==(const Message&) const = default;
};

using History = std::vector<Message>;

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual asio::awaitable<Result<History>> get(std::string id) = 0;
  // Appends the exchange, then drops the oldest messages beyond the history bound.
  virtual asio::awaitable<Result<void>> append(std::string id, Message user,
                                               Message assistant) = 0;
  // Replaces the whole history (trimmed to the bound, keeping the newest).
  virtual asio::awaitable<Result<void>> replace(std::string id, History history) = 0;
  // True when the session existed.
  virtual asio::awaitable<Result<bool>> erase(std::string id) = 0;
  virtual asio::awaitable<Result<std::size_t>> count() = 0;
};

// 1-128 characters of [A-Za-z0-9._:-] (rag::is_id_token, common/text.hpp).
bool is_valid_session_id(std::string_view id);
// 128 random bits from OpenSSL's CSPRNG as 32 lower-case hex characters.
std::string new_session_id();
// What logs show of a session id, which is a bearer token to its conversation: the first 8 hex
// digits of its SHA-256 ("3b1f9a0c"). `printf %s ID | sha256sum | cut -c1-8` finds an id's lines.
std::string log_id(std::string_view id);

}  // namespace rag::session
