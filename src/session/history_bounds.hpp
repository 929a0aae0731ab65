// The bounds every SessionStore applies when it writes a session: at most `max_messages`
// messages (MAX_CONVERSATION_HISTORY) and at most `max_bytes` bytes of them
// (MAX_SESSION_BYTES), the oldest going first. The byte bound caps what one session costs in
// memory (or in Redis) and in prompt tokens, whatever its messages hold.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>

#include "session/session_store.hpp"

namespace rag::session {

struct HistoryBounds {
  std::size_t max_messages = 20;
  std::size_t max_bytes = 64 << 10;
};

// What a message counts for against max_bytes: the bytes of its role, content and timestamp.
// (RedisSessionStore counts each message's stored JSON, a few dozen bytes more.)
std::size_t message_bytes(const Message& message);

// Drops the oldest messages until both bounds hold. A message larger than max_bytes on its own
// is not kept.
void trim_history(History& history, const HistoryBounds& bounds);

}  // namespace rag::session
