// Errors as values across module boundaries: Result<T> = std::expected<T, Error>.
// Error codes are domain-level; the one mapping from code to HTTP status lives in api/.
#pragma once

#include <expected>
#include <string>
#include <utility>  // before anything Asio: Boost 1.74 awaitable.hpp needs std::exchange

namespace rag {

enum class ErrorCode {
  kInvalidArgument,  // caller gave something malformed
  kNotFound,
  kUnavailable,       // a dependency cannot be reached (connect error, breaker open)
  kTimeout,           // a deadline passed
  kRateLimited,       // an upstream still says 429 after retries
  kUpstream,          // an upstream answered with an error we do not retry
  kCancelled,         // the caller went away
  kOverloaded,        // load shedding
  kIndexUnavailable,  // the index could not be searched (none loaded yet, unreadable)
  kIo,                // file system, database
  kCorrupt,           // data on disk is not what it should be
  kInternal,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // Seconds the caller should wait before retrying (429 / 503); 0 when not applicable.
  double retry_after_s = 0;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message), 0});
}

}  // namespace rag

// RAG_TRY(expr): evaluates `expr` (a Result or another std::expected) and, when it holds an
// error, returns that error from the enclosing function. For a step whose value is not needed
// (mostly Result<void>):
//   RAG_TRY(st->run());
// A step whose value is used is written out, which names the value:
//   auto row = st->step();
//   if (!row) return std::unexpected(row.error());
// Not for coroutines (they co_return).
#define RAG_TRY(expr)                                            \
  do {                                                           \
    if (auto rag_try_result = (expr); !rag_try_result)           \
      return std::unexpected(std::move(rag_try_result.error())); \
  } while (0)
