// Unit tests for the upstream counters.
#include "upstream/stats.hpp"

#include <gtest/gtest.h>

namespace rag::upstream {
namespace {

TEST(Stats, CountsCallsAttemptsRetriesAndFailuresByKind) {
  Stats s;
  s.on_call();
  s.on_attempt(false);
  s.on_attempt(true);
  s.on_429();
  Error timeout{ErrorCode::kTimeout, "t", 0};
  s.on_done(0.2, &timeout);
  s.on_call();
  s.on_attempt(false);
  s.on_done(3.0, nullptr);
  const auto snap = s.snapshot();
  EXPECT_EQ(snap.calls, 2u);
  EXPECT_EQ(snap.attempts, 3u);
  EXPECT_EQ(snap.retries, 1u);
  EXPECT_EQ(snap.rate_limited_429, 1u);
  EXPECT_EQ(snap.successes, 1u);
  EXPECT_EQ(snap.failures_timeout, 1u);
  EXPECT_EQ(snap.latency_count, 2u);
  EXPECT_NEAR(snap.latency_sum_s, 3.2, 1e-6);
}

TEST(Stats, LatencyBucketsAreCumulative) {
  Stats s;
  s.on_done(0.01, nullptr);  // ≤ 0.05
  s.on_done(0.3, nullptr);   // ≤ 0.5
  s.on_done(500, nullptr);   // +Inf
  const auto snap = s.snapshot();
  EXPECT_EQ(snap.latency_buckets[0], 1u);
  EXPECT_EQ(snap.latency_buckets[3], 2u);
  EXPECT_EQ(snap.latency_buckets[kLatencyBuckets.size() - 1], 2u);
  EXPECT_EQ(snap.latency_buckets.back(), 3u);
}

}  // namespace
}  // namespace rag::upstream
