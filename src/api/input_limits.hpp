// The bounds on the text a client may send, one value shared by every JSON endpoint and built
// from the configuration (docs/configuration.md lists each setting, docs/security.md why).
// Each bound is checked while the body is validated, before any retrieval, session or upstream
// work: past it, /search and /chat answer 422 in FastAPI's shape, /v1/chat/completions 400 in
// OpenAI's. Lengths count Unicode code points, as Python's len() does.
//
// Thread-safety: a plain value.
#pragma once

#include <cstddef>

namespace rag::api {

struct InputLimits {
  std::size_t max_message_chars = 8000;    // MAX_MESSAGE_CHARS: the chat message / last user turn
  std::size_t max_history_messages = 200;  // MAX_HISTORY_MESSAGES: items in a request's history
  std::size_t max_history_chars = 16000;   // MAX_HISTORY_CHARS: characters of one history item
  std::size_t max_query_chars = 8000;      // MAX_QUERY_CHARS: the /search query
};

}  // namespace rag::api
