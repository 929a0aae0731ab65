// The OpenAI-compatible face without HTTP: POST /v1/chat/completions requests and responses in
// the OpenAI wire format, and the /v1/models list. Mapping onto the RAG pipeline:
//   - the last message must be a user message: it is the question;
//   - earlier user/assistant messages are the conversation history (stateless: nothing is read
//     from or written to the session store);
//   - system/developer messages are IGNORED: the server's grounding template (SYSTEM_PROMPT_FILE
//     or the built-in one) is authoritative, so a client cannot switch off citations or the
//     refusal; tool/function messages are ignored too;
//   - content may be a string or a list of parts; text parts are joined with "\n";
//   - the bounds of input_limits.hpp apply: the question as MAX_MESSAGE_CHARS, each earlier
//     user/assistant message as a history item (MAX_HISTORY_CHARS, MAX_HISTORY_MESSAGES);
//   - temperature (0..2) overrides CHAT_TEMPERATURE for the request; max_tokens /
//     max_completion_tokens (≥ 1) may lower CHAT_MAX_TOKENS, never raise it; `model` is
//     accepted and echoed;
//   - the answer carries an extra top-level `sources` field (docs/api.md's source objects); in a
//   stream it
//     rides on the first and the last chunk.
// Errors use OpenAI's shape: {"error": {"message", "type", "param", "code"}}.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/error_mapping.hpp"
#include "api/input_limits.hpp"
#include "chat/pipeline.hpp"
#include "session/session_store.hpp"

namespace rag::api {

inline constexpr std::string_view kDefaultModelId = "rag-server";

struct OpenAiRequest {
  std::string model;
  std::string question;
  session::History history;
  bool stream = false;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
};

struct OpenAiError {
  unsigned status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // "" = null
  std::string code;   // "" = null
};

std::expected<OpenAiRequest, OpenAiError> parse_openai_request(std::string_view body,
                                                               std::string_view content_type,
                                                               const InputLimits& limits = {});

// {"error": {...}}
std::string openai_error_body(const OpenAiError& error);
// The OpenAI-shaped error for a pipeline failure (status and text from map_error()).
OpenAiError openai_error_from(const Error& error);

struct CompletionIds {
  std::string id;        // "chatcmpl-<hex>"
  std::int64_t created;  // Unix seconds
  std::string model;
};
CompletionIds new_completion_ids(std::string model);

// The non-streamed `chat.completion` object.
nlohmann::ordered_json completion_json(const CompletionIds& ids, const chat::ChatOutcome& outcome);
// One `chat.completion.chunk`; `finish_reason` empty = null.
nlohmann::ordered_json chunk_json(const CompletionIds& ids, nlohmann::ordered_json delta,
                                  std::string_view finish_reason);
// GET /v1/models
nlohmann::ordered_json models_json(std::string_view model_id, std::int64_t created);

}  // namespace rag::api
