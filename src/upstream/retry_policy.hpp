// The retry rules of docs/configuration.md (LLM_MAX_RETRIES and after) as a pure value: which
// attempt outcomes are retried, how long to wait before the next attempt (exponential backoff with
// jitter, unless the server suggests a wait), and when a server's suggestion is too long to wait
// out. No I/O, no clock of its own: the caller passes "now" for HTTP-date suggestions and a random
// source for jitter.
//
// Thread-safety: const methods are safe to call concurrently; the jitter source must be too
// (the default one is).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "upstream/retry_after.hpp"

namespace rag::upstream {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lower-case

// What one attempt ended with, as far as the retry rules care.
struct AttemptOutcome {
  enum class Kind {
    kHttpStatus,      // an answer arrived (status + headers)
    kConnectError,    // resolve / connect failed
    kTimeout,         // the per-attempt timeout or the overall deadline passed
    kConnectionLost,  // the connection broke before the answer was complete
    kCancelled,       // the caller went away
    kProtocol,        // a malformed answer
    kTlsError,        // TLS handshake or certificate verification failed (never retried)
  };
  Kind kind = Kind::kHttpStatus;
  int status = 0;        // for kHttpStatus
  Headers headers;       // response headers, for kHttpStatus
  std::string detail;    // short, secret-free text for logs ("connection refused", ...)
};

struct RetryDecision {
  bool retry = false;
  Seconds delay{0};
  // When !retry: the error to return (unless the status is a non-retryable answer the
  // adapter reads itself; see `final_response`).
  Error error;
  bool final_response = false;  // a non-retryable HTTP answer: hand the response to the adapter
};

class RetryPolicy {
 public:
  struct Options {
    int max_attempts = 3;          // LLM_MAX_RETRIES: attempts in all ("attempt 1/3")
    Seconds base_delay{2.0};       // LLM_BASE_DELAY
    Seconds max_delay{30.0};       // LLM_MAX_DELAY
    double jitter = 0.1;           // backoff × (1 + U[0, jitter))
    Seconds max_suggested{120.0};  // longer server suggestions are passed on, not waited out
  };
  // Returns a value in [0, 1); default: a thread-local Mersenne twister.
  using Random = std::function<double()>;
  using SystemTime = std::chrono::system_clock::time_point;

  explicit RetryPolicy(Options options, Random random = {});

  const Options& options() const { return options_; }
  int max_attempts() const { return options_.max_attempts < 1 ? 1 : options_.max_attempts; }

  // Whether an outcome may be retried at all: 429, 408, 5xx, connect errors, timeouts,
  // connections lost before an answer; never other 4xx, cancellation or protocol errors.
  static bool is_retryable(const AttemptOutcome& outcome);

  // The backoff for the wait after attempt `attempt` (1-based): min(base·2^(attempt-1), max),
  // with jitter, never above max.
  Seconds backoff(int attempt) const;

  // The server's suggested wait, if any: retry-after-ms, then x-ms-retry-after-ms, then
  // Retry-After (delta-seconds or an HTTP date relative to `now`), each read by
  // upstream/retry_after.hpp (so never beyond kMaxSuggestedWait).
  static std::optional<Seconds> suggested_wait(const Headers& headers, SystemTime now);

  // The decision after attempt `attempt` (1-based) failed with `outcome`.
  RetryDecision decide(int attempt, const AttemptOutcome& outcome, SystemTime now) const;

  // A one-line description for logs: "Rate limit exceeded", "HTTP 503 Service Unavailable",
  // "Request timed out", "Connection failed: ...".
  static std::string describe(const AttemptOutcome& outcome);

  // The error a call ends with when `outcome` is its last attempt.
  Error final_error(const AttemptOutcome& outcome, std::optional<Seconds> suggestion) const;

 private:

  Options options_;
  Random random_;
};

}  // namespace rag::upstream
