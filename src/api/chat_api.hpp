// POST /chat without HTTP: the request body's validation (FastAPI/pydantic-1 shaped 422s via
// api/validation.hpp) and the JSON of the answer (docs/api.md).
//
//   request:  {"message": str (required, ≤ MAX_MESSAGE_CHARS code points),
//              "session_id": str? (null = absent; 1-128 chars of [A-Za-z0-9._:-]),
//              "history": [{"role": "user"|"assistant", "content": str (≤ MAX_HISTORY_CHARS),
//                           "timestamp"?: str}]? (≤ MAX_HISTORY_MESSAGES items),
//              "stream": bool?}
//   A history over its item bound is one value_error.list.max_items, its items unread.
//   response: {"response", "session_id", "timestamp", "sources": [S...]} (+ "mode":
//              "extractive" for extractive answers), S = {"url", "title", "content_preview",
//              "content_full", "similarity_score"}.
//
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/input_limits.hpp"
#include "api/validation.hpp"
#include "chat/pipeline.hpp"
#include "session/session_store.hpp"

namespace rag::api {

inline constexpr std::string_view kSessionIdPattern = "^[A-Za-z0-9._:-]{1,128}$";

struct ChatBody {
  std::string message;
  std::optional<std::string> session_id;
  std::optional<session::History> history;
  bool stream = false;
};

std::expected<ChatBody, ValidationErrors> parse_chat_request(std::string_view body,
                                                             std::string_view content_type,
                                                             const InputLimits& limits = {});

// Validates `value` as a session id; adds a value_error.str.regex error at `loc` when invalid.
bool check_session_id(std::string_view value, const Loc& loc, ValidationErrors& errors);

// One S object (docs/api.md); `cited` only once the answer exists.
nlohmann::ordered_json source_to_json(const chat::Source& source);
nlohmann::ordered_json sources_to_json(const std::vector<chat::Source>& sources);
// The whole 200 body (also the `done` event's data).
nlohmann::ordered_json chat_response_json(const chat::ChatOutcome& outcome);

// JSON text of a value, invalid UTF-8 replaced by U+FFFD (never throws).
std::string dump_json(const nlohmann::ordered_json& value);

}  // namespace rag::api
