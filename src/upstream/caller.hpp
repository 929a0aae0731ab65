// One upstream call with the retry policy of docs/configuration.md around it: the circuit breaker
// is asked before each attempt, each attempt gets min(LLM_TIMEOUT, time left before the call's
// deadline), failed attempts are retried per RetryPolicy after a (cancellable, injectable) sleep,
// and every attempt, retry and 429 is counted. Logs the guide's lines:
// `Rate limit detected: 429 Too Many Requests` and
// `Retryable error on attempt 1/3: Rate limit exceeded. Retrying in 2.0s...`.
//
// Thread-safety: shared by all calls of one adapter; call() may run concurrently anywhere.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>

#include "upstream/circuit_breaker.hpp"
#include "upstream/http_client.hpp"
#include "upstream/retry_policy.hpp"
#include "upstream/stats.hpp"

namespace rag::upstream {

// Waits `delay`; returns false if cancelled meanwhile. Tests inject one that records delays.
using Sleeper = std::function<boost::asio::awaitable<bool>(Seconds delay, CancelToken cancel)>;

// The default sleeper: a steady_timer on its own strand of `executor`, cancelled by `cancel`.
Sleeper timer_sleeper(boost::asio::any_io_executor executor);

struct CallHooks {
  BodySink sink;                        // receives 2xx bodies (streams)
  std::function<bool()> may_retry;      // asked before a retry; false → fail at once
  std::function<void()> before_attempt; // resets per-attempt parse state
};

class RetryingCaller {
 public:
  struct Options {
    std::chrono::milliseconds attempt_timeout{60000};  // LLM_TIMEOUT
    std::chrono::milliseconds deadline{300000};        // the whole call, retries included
  };

  RetryingCaller(HttpClient& client, RetryPolicy policy, CircuitBreaker& breaker, Stats& stats,
                 Options options, Sleeper sleeper = {});

  // The final response (2xx, or a non-retryable answer for the adapter to read), or an error:
  // kRateLimited, kTimeout, kUnavailable (connect errors, circuit open), kUpstream, kCancelled.
  boost::asio::awaitable<Result<HttpResponse>> call(const HttpRequest& request, CancelToken cancel,
                                                    CallHooks hooks = {});

  const RetryPolicy& policy() const { return policy_; }

 private:
  HttpClient& client_;
  RetryPolicy policy_;
  CircuitBreaker& breaker_;
  Stats& stats_;
  Options options_;
  Sleeper sleeper_;
};

}  // namespace rag::upstream
