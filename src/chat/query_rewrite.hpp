// The chat retrieval query (src/retrieval/README.md, the Python design's rule): a follow-up such as
// "and the second one?" or "how do I configure it?" says too little to search for on its own, so a
// message of 3 words or fewer, or one with a pronoun, is searched together with the last 4 messages
// of the conversation (oldest first, then the message, joined by spaces).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "session/session_store.hpp"

namespace rag::chat {

inline constexpr std::size_t kShortMessageWords = 3;
inline constexpr std::size_t kRewriteHistoryMessages = 4;

// True when `message` needs the conversation as context to be searched.
bool needs_history(std::string_view message);

// The text to search for; `message` itself when the rule does not apply or there is no history.
std::string retrieval_query(std::string_view message, const session::History& history);

}  // namespace rag::chat
