// Counters for one upstream adapter (chat or embeddings): calls, attempts, retries, upstream
// 429s, failures by kind and a latency histogram. Lock-free atomics; the metrics module reads
// them through snapshot() and turns them into Prometheus text.
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "common/result.hpp"

namespace rag::upstream {

// Upper bounds (seconds) of the latency histogram buckets; the last bucket is +Inf.
inline constexpr std::array<double, 11> kLatencyBuckets{0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                       5,    10,  30,   60,  120};

struct StatsSnapshot {
  std::uint64_t calls = 0;      // adapter calls (one complete()/stream()/embed() request)
  std::uint64_t attempts = 0;   // HTTP attempts
  std::uint64_t retries = 0;    // attempts after the first of a call
  std::uint64_t rate_limited_429 = 0;  // upstream 429 answers seen
  std::uint64_t successes = 0;
  std::uint64_t failures_timeout = 0;
  std::uint64_t failures_unavailable = 0;  // connect errors, circuit open
  std::uint64_t failures_rate_limited = 0;
  std::uint64_t failures_upstream = 0;     // other statuses, malformed bodies
  std::uint64_t failures_cancelled = 0;
  std::uint64_t failures_other = 0;
  double latency_sum_s = 0;                 // over finished calls
  std::uint64_t latency_count = 0;
  // Cumulative counts per kLatencyBuckets bound, plus +Inf last (Prometheus "le" semantics).
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> latency_buckets{};
};

class Stats {
 public:
  void on_call() { calls_.fetch_add(1, std::memory_order_relaxed); }
  void on_attempt(bool is_retry) {
    attempts_.fetch_add(1, std::memory_order_relaxed);
    if (is_retry) retries_.fetch_add(1, std::memory_order_relaxed);
  }
  void on_429() { rate_limited_429_.fetch_add(1, std::memory_order_relaxed); }
  // A call finished after `seconds`; `error` is null on success.
  void on_done(double seconds, const Error* error);

  StatsSnapshot snapshot() const;

 private:
  std::atomic<std::uint64_t> calls_{0}, attempts_{0}, retries_{0}, rate_limited_429_{0},
      successes_{0};
  std::atomic<std::uint64_t> f_timeout_{0}, f_unavailable_{0}, f_rate_limited_{0}, f_upstream_{0},
      f_cancelled_{0}, f_other_{0};
  std::atomic<std::uint64_t> latency_sum_us_{0}, latency_count_{0};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> buckets_{};  // not cumulative
};

}  // namespace rag::upstream
