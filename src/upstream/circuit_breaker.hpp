// A circuit breaker for one upstream: after `failure_threshold` consecutive failures it opens
// and fails calls fast for `cool_down`; then it lets exactly one probe through (half-open);
// the probe's success closes it, its failure opens it again. Pure logic with an injected clock.
//
// Thread-safety: every method may be called concurrently from any thread (one small mutex).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string_view>

namespace rag::upstream {

enum class CircuitState { kClosed, kOpen, kHalfOpen };

// "closed" | "open" | "half_open"
std::string_view to_string(CircuitState state);

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  struct Options {
    int failure_threshold = 5;
    std::chrono::milliseconds cool_down{30000};
  };

  explicit CircuitBreaker(Options options, Now now = {});

  // Whether an attempt may start now. In half-open state only one caller gets true (the
  // probe) until it reports back. A caller that got true must call exactly one of the
  // record_* methods afterwards.
  bool allow();

  void record_success();
  void record_failure();
  // The attempt ended without telling anything about the upstream's health (cancelled).
  void record_neutral();

  // The state as seen now (an open breaker whose cool-down passed reads as half_open).
  CircuitState state() const;
  // Seconds until an open breaker lets a probe through; 0 otherwise.
  double retry_after_s() const;

 private:
  CircuitState state_locked(Clock::time_point now) const;

  Options options_;
  Now now_;
  mutable std::mutex mutex_;
  int consecutive_failures_ = 0;  // guarded by mutex_
  bool open_ = false;
  bool probe_in_flight_ = false;
  Clock::time_point opened_at_{};
};

}  // namespace rag::upstream
