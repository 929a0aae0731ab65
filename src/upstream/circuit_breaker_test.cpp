// Unit tests for the circuit breaker with an injected clock.
#include "upstream/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace rag::upstream {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  CircuitBreaker::Clock::time_point now{};
  CircuitBreaker::Now fn() {
    return [this] { return now; };
  }
};

CircuitBreaker::Options opts() { return {3, std::chrono::milliseconds(10000)}; }

TEST(CircuitBreaker, OpensAfterThresholdConsecutiveFailures) {
  FakeClock clock;
  CircuitBreaker b(opts(), clock.fn());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(b.allow());
    b.record_failure();
  }
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  ASSERT_TRUE(b.allow());
  b.record_failure();
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_FALSE(b.allow());
  EXPECT_NEAR(b.retry_after_s(), 10.0, 1e-9);
}

TEST(CircuitBreaker, SuccessResetsTheFailureCount) {
  FakeClock clock;
  CircuitBreaker b(opts(), clock.fn());
  b.record_failure();
  b.record_failure();
  b.record_success();
  b.record_failure();
  b.record_failure();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST(CircuitBreaker, HalfOpenLetsExactlyOneProbeThrough) {
  FakeClock clock;
  CircuitBreaker b(opts(), clock.fn());
  for (int i = 0; i < 3; ++i) b.record_failure();
  clock.now += 9s;
  EXPECT_FALSE(b.allow());
  clock.now += 1s;
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_TRUE(b.allow());
  EXPECT_FALSE(b.allow());
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
}

TEST(CircuitBreaker, ProbeSuccessCloses) {
  FakeClock clock;
  CircuitBreaker b(opts(), clock.fn());
  for (int i = 0; i < 3; ++i) b.record_failure();
  clock.now += 10s;
  ASSERT_TRUE(b.allow());
  b.record_success();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, ProbeFailureReopensForAnotherCoolDown) {
  FakeClock clock;
  CircuitBreaker b(opts(), clock.fn());
  for (int i = 0; i < 3; ++i) b.record_failure();
  clock.now += 10s;
  ASSERT_TRUE(b.allow());
  b.record_failure();
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_FALSE(b.allow());
  clock.now += 10s;
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, NeutralOutcomeReleasesTheProbe) {
  FakeClock clock;
  CircuitBreaker b(opts(), clock.fn());
  for (int i = 0; i < 3; ++i) b.record_failure();
  clock.now += 10s;
  ASSERT_TRUE(b.allow());
  b.record_neutral();
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, StateNames) {
  EXPECT_EQ(to_string(CircuitState::kClosed), "closed");
  EXPECT_EQ(to_string(CircuitState::kOpen), "open");
  EXPECT_EQ(to_string(CircuitState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace rag::upstream
