// The one place where domain errors become HTTP answers for the conversation endpoints
// (/chat, /v1/chat/completions, their SSE streams). Bodies never carry upstream text, a key or
// a URL: only fixed details chosen here.
//   kRateLimited → 429 {"detail": "Rate limit exceeded. Please try again in a moment."}
//                  + Retry-After (the upstream's suggestion, rounded up, at least 1 s)
//   kTimeout     → 504 {"detail": "Request timed out. Please try again."}
//   kUnavailable, kUpstream → 502 {"detail": "Upstream model error"}
//   kOverloaded  → 503 {"detail": "Server is overloaded. Please try again."} + Retry-After
//   kIndexUnavailable → 503 {"detail": "Index not loaded"} + Retry-After: retrieval failed, so
//                  there is nothing to ground an answer in (never the "nothing found" refusal)
//   kCancelled   → 499 (the client has gone; nobody reads it, the access log does)
//   kInvalidArgument → 400 {"detail": "Bad request"}
//   anything else → 500 {"detail": "Internal Server Error"}
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/result.hpp"
#include "http/types.hpp"

namespace rag::api {

struct HttpError {
  unsigned status = 500;
  std::string detail;
  int retry_after_s = 0;  // 0 = no Retry-After header
};

HttpError map_error(const Error& error);

// {"detail": ...} with the mapped status (and Retry-After).
http::Response error_to_response(const Error& error, unsigned version = 11);

}  // namespace rag::api
