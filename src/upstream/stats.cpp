// Implementation of the upstream counters (see stats.hpp).
#include "upstream/stats.hpp"

namespace rag::upstream {

void Stats::on_done(double seconds, const Error* error) {
  constexpr auto relaxed = std::memory_order_relaxed;
  if (error == nullptr) {
    successes_.fetch_add(1, relaxed);
  } else {
    switch (error->code) {
      case ErrorCode::kTimeout: f_timeout_.fetch_add(1, relaxed); break;
      case ErrorCode::kUnavailable: f_unavailable_.fetch_add(1, relaxed); break;
      case ErrorCode::kRateLimited: f_rate_limited_.fetch_add(1, relaxed); break;
      case ErrorCode::kUpstream: f_upstream_.fetch_add(1, relaxed); break;
      case ErrorCode::kCancelled: f_cancelled_.fetch_add(1, relaxed); break;
      default: f_other_.fetch_add(1, relaxed); break;
    }
  }
  if (seconds < 0) seconds = 0;
  latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), relaxed);
  latency_count_.fetch_add(1, relaxed);
  std::size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  buckets_[i].fetch_add(1, relaxed);
}

StatsSnapshot Stats::snapshot() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  StatsSnapshot s;
  s.calls = calls_.load(relaxed);
  s.attempts = attempts_.load(relaxed);
  s.retries = retries_.load(relaxed);
  s.rate_limited_429 = rate_limited_429_.load(relaxed);
  s.successes = successes_.load(relaxed);
  s.failures_timeout = f_timeout_.load(relaxed);
  s.failures_unavailable = f_unavailable_.load(relaxed);
  s.failures_rate_limited = f_rate_limited_.load(relaxed);
  s.failures_upstream = f_upstream_.load(relaxed);
  s.failures_cancelled = f_cancelled_.load(relaxed);
  s.failures_other = f_other_.load(relaxed);
  s.latency_sum_s = static_cast<double>(latency_sum_us_.load(relaxed)) / 1e6;
  s.latency_count = latency_count_.load(relaxed);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(relaxed);
    s.latency_buckets[i] = cumulative;
  }
  return s;
}

}  // namespace rag::upstream
