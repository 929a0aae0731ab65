#include "api/error_mapping.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace rag::api {
namespace {

TEST(ErrorMapping, RateLimitedIs429WithRetryAfter) {
  auto r = error_to_response(Error{ErrorCode::kRateLimited, "upstream said 429", 2.2});
  EXPECT_EQ(r.result_int(), 429u);
  EXPECT_EQ(r.body(), R"({"detail":"Rate limit exceeded. Please try again in a moment."})");
  EXPECT_EQ(r["Retry-After"], "3");
}

// An upstream's Retry-After is passed on: whatever it said, the client's is 1 s to one day.
TEST(ErrorMapping, RetryAfterStaysWithinADayWhateverTheUpstreamSaid) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double s : {1e300, inf, 4294967296.0, 86401.0})
    EXPECT_EQ(map_error(Error{ErrorCode::kRateLimited, "", s}).retry_after_s, 86400) << s;
  for (double s : {nan, -inf, -5.0, 0.0})
    EXPECT_EQ(map_error(Error{ErrorCode::kRateLimited, "", s}).retry_after_s, 1) << s;
}

TEST(ErrorMapping, TimeoutIs504) {
  auto r = error_to_response(Error{ErrorCode::kTimeout, "deadline", 0});
  EXPECT_EQ(r.result_int(), 504u);
  EXPECT_EQ(r.body(), R"({"detail":"Request timed out. Please try again."})");
}

TEST(ErrorMapping, UpstreamFailuresAre502WithoutUpstreamText) {
  for (auto code : {ErrorCode::kUpstream, ErrorCode::kUnavailable}) {
    auto r = error_to_response(
        Error{code, "401 from https://key:sk-secret@api.example.com/v1 body {...}", 0});
    EXPECT_EQ(r.result_int(), 502u);
    EXPECT_EQ(r.body(), R"({"detail":"Upstream model error"})");
    EXPECT_EQ(r.body().find("sk-secret"), std::string::npos);
  }
}

TEST(ErrorMapping, AFailedRetrievalIs503WithRetryAfter) {
  auto r = error_to_response(Error{ErrorCode::kIndexUnavailable, "no index at /srv/idx", 0});
  EXPECT_EQ(r.result_int(), 503u);
  EXPECT_EQ(r.body(), R"({"detail":"Index not loaded"})");
  EXPECT_EQ(r["Retry-After"], "5");
}

TEST(ErrorMapping, OthersAreGeneric) {
  EXPECT_EQ(map_error(Error{ErrorCode::kInternal, "x", 0}).status, 500u);
  EXPECT_EQ(map_error(Error{ErrorCode::kCancelled, "x", 0}).status, 499u);
  EXPECT_EQ(map_error(Error{ErrorCode::kOverloaded, "x", 0}).status, 503u);
  EXPECT_EQ(map_error(Error{ErrorCode::kOverloaded, "x", 0}).retry_after_s, 1);
}

}  // namespace
}  // namespace rag::api
