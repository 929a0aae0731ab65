// Unit tests for the retry rules (RetryPolicy; docs/configuration.md, LLM_MAX_RETRIES).
#include "upstream/retry_policy.hpp"

#include <gtest/gtest.h>

namespace rag::upstream {
namespace {

using Kind = AttemptOutcome::Kind;
const auto kNow = std::chrono::system_clock::from_time_t(1700000000);  // 2023-11-14T22:13:20Z

RetryPolicy::Options options(int attempts = 3) {
  RetryPolicy::Options o;
  o.max_attempts = attempts;
  o.base_delay = Seconds(2.0);
  o.max_delay = Seconds(30.0);
  o.jitter = 0.1;
  return o;
}

AttemptOutcome status(int code, Headers headers = {}) {
  return AttemptOutcome{Kind::kHttpStatus, code, std::move(headers), ""};
}

TEST(RetryPolicy, RetriesRateLimitTimeoutAndServerErrors) {
  for (int code : {429, 408, 500, 502, 503, 504, 599})
    EXPECT_TRUE(RetryPolicy::is_retryable(status(code))) << code;
  for (auto kind : {Kind::kConnectError, Kind::kTimeout, Kind::kConnectionLost})
    EXPECT_TRUE(RetryPolicy::is_retryable(AttemptOutcome{kind, 0, {}, "x"}));
}

TEST(RetryPolicy, NeverRetriesOtherClientErrorsCancellationOrTls) {
  for (int code : {400, 401, 403, 404, 413, 422})
    EXPECT_FALSE(RetryPolicy::is_retryable(status(code))) << code;
  for (auto kind : {Kind::kCancelled, Kind::kProtocol, Kind::kTlsError})
    EXPECT_FALSE(RetryPolicy::is_retryable(AttemptOutcome{kind, 0, {}, "x"}));
}

TEST(RetryPolicy, BackoffDoublesFromBaseAndStopsAtMax) {
  RetryPolicy p(options(), [] { return 0.0; });
  EXPECT_DOUBLE_EQ(p.backoff(1).count(), 2.0);
  EXPECT_DOUBLE_EQ(p.backoff(2).count(), 4.0);
  EXPECT_DOUBLE_EQ(p.backoff(3).count(), 8.0);
  EXPECT_DOUBLE_EQ(p.backoff(5).count(), 30.0);
  EXPECT_DOUBLE_EQ(p.backoff(40).count(), 30.0);
}

TEST(RetryPolicy, JitterAddsAtMostTheConfiguredFractionAndNeverPassesMax) {
  RetryPolicy high(options(), [] { return 0.999; });
  EXPECT_GT(high.backoff(1).count(), 2.0);
  EXPECT_LT(high.backoff(1).count(), 2.2);
  EXPECT_DOUBLE_EQ(high.backoff(5).count(), 30.0);
}

TEST(RetryPolicy, DecidesRetryWithBackoffUntilAttemptsAreUsed) {
  RetryPolicy p(options(3), [] { return 0.0; });
  auto first = p.decide(1, status(503), kNow);
  EXPECT_TRUE(first.retry);
  EXPECT_DOUBLE_EQ(first.delay.count(), 2.0);
  auto second = p.decide(2, status(503), kNow);
  EXPECT_TRUE(second.retry);
  EXPECT_DOUBLE_EQ(second.delay.count(), 4.0);
  auto last = p.decide(3, status(503), kNow);
  EXPECT_FALSE(last.retry);
  EXPECT_EQ(last.error.code, ErrorCode::kUpstream);
}

TEST(RetryPolicy, HonoursRetryAfterOverBackoff) {
  RetryPolicy p(options(), [] { return 0.0; });
  auto d = p.decide(1, status(429, {{"retry-after", "7"}}), kNow);
  EXPECT_TRUE(d.retry);
  EXPECT_DOUBLE_EQ(d.delay.count(), 7.0);
}

TEST(RetryPolicy, SuggestionOrderIsRetryAfterMsThenMsHeaderThenRetryAfter) {
  const Headers all{{"retry-after", "9"}, {"x-ms-retry-after-ms", "3000"},
                    {"retry-after-ms", "1500"}};
  EXPECT_DOUBLE_EQ(RetryPolicy::suggested_wait(all, kNow)->count(), 1.5);
  const Headers two{{"retry-after", "9"}, {"x-ms-retry-after-ms", "3000"}};
  EXPECT_DOUBLE_EQ(RetryPolicy::suggested_wait(two, kNow)->count(), 3.0);
  const Headers one{{"retry-after", "9"}};
  EXPECT_DOUBLE_EQ(RetryPolicy::suggested_wait(one, kNow)->count(), 9.0);
  EXPECT_FALSE(RetryPolicy::suggested_wait({}, kNow).has_value());
  EXPECT_FALSE(RetryPolicy::suggested_wait({{"retry-after", "soon"}}, kNow).has_value());
}

TEST(RetryPolicy, RetryAfterAsHttpDateIsRelativeToNow) {
  // kNow + 12 s = Tue, 14 Nov 2023 22:13:32 GMT
  auto wait = RetryPolicy::suggested_wait({{"retry-after", "Tue, 14 Nov 2023 22:13:32 GMT"}}, kNow);
  ASSERT_TRUE(wait.has_value());
  EXPECT_DOUBLE_EQ(wait->count(), 12.0);
  auto past = RetryPolicy::suggested_wait({{"retry-after", "Tue, 14 Nov 2023 22:00:00 GMT"}}, kNow);
  ASSERT_TRUE(past.has_value());
  EXPECT_DOUBLE_EQ(past->count(), 0.0);
}

TEST(RetryPolicy, SuggestionOverTwoMinutesIsPassedOnAsRateLimitedAtOnce) {
  RetryPolicy p(options(), [] { return 0.0; });
  auto d = p.decide(1, status(429, {{"retry-after", "121"}}), kNow);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.error.code, ErrorCode::kRateLimited);
  EXPECT_DOUBLE_EQ(d.error.retry_after_s, 121.0);
  auto exactly = p.decide(1, status(429, {{"retry-after", "120"}}), kNow);
  EXPECT_TRUE(exactly.retry);
}

TEST(RetryPolicy, PersistentRateLimitEndsAsRateLimitedWithRetryAfter) {
  RetryPolicy p(options(2), [] { return 0.0; });
  auto d = p.decide(2, status(429, {{"retry-after", "5"}}), kNow);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.error.code, ErrorCode::kRateLimited);
  EXPECT_DOUBLE_EQ(d.error.retry_after_s, 5.0);
  auto bare = p.decide(2, status(429), kNow);
  EXPECT_EQ(bare.error.code, ErrorCode::kRateLimited);
  EXPECT_GE(bare.error.retry_after_s, 1.0);
}

TEST(RetryPolicy, NonRetryableAnswerIsHandedToTheAdapter) {
  RetryPolicy p(options(), [] { return 0.0; });
  auto d = p.decide(1, status(400), kNow);
  EXPECT_FALSE(d.retry);
  EXPECT_TRUE(d.final_response);
}

TEST(RetryPolicy, FinalErrorCodesByOutcome) {
  RetryPolicy p(options(1), [] { return 0.0; });
  EXPECT_EQ(p.decide(1, {Kind::kTimeout, 0, {}, ""}, kNow).error.code, ErrorCode::kTimeout);
  EXPECT_EQ(p.decide(1, {Kind::kConnectError, 0, {}, "refused"}, kNow).error.code,
            ErrorCode::kUnavailable);
  EXPECT_EQ(p.decide(1, {Kind::kTlsError, 0, {}, "verify"}, kNow).error.code,
            ErrorCode::kUnavailable);
  EXPECT_EQ(p.decide(1, {Kind::kCancelled, 0, {}, ""}, kNow).error.code, ErrorCode::kCancelled);
  EXPECT_EQ(p.decide(1, {Kind::kConnectionLost, 0, {}, "reset"}, kNow).error.code,
            ErrorCode::kUpstream);
}

TEST(RetryPolicy, ZeroRetriesStillMakesOneAttempt) {
  RetryPolicy p(options(0), [] { return 0.0; });
  EXPECT_EQ(p.max_attempts(), 1);
  EXPECT_FALSE(p.decide(1, status(503), kNow).retry);
}

TEST(RetryPolicy, DescribesOutcomesLikeTheGuide) {
  EXPECT_EQ(RetryPolicy::describe(status(429)), "Rate limit exceeded");
  EXPECT_EQ(RetryPolicy::describe(status(503)), "HTTP 503 Service Unavailable");
  EXPECT_EQ(RetryPolicy::describe({Kind::kTimeout, 0, {}, ""}), "Request timed out");
}

TEST(HttpDate, ParsesTheThreeFormats) {
  const auto expected = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
  EXPECT_FALSE(parse_http_date("yesterday").has_value());
}

}  // namespace
}  // namespace rag::upstream
