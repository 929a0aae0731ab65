#include "upstream/retry_after.hpp"

#include <gtest/gtest.h>

#include "upstream/retry_policy.hpp"

namespace rag::upstream {
namespace {

using namespace std::chrono_literals;
const auto kReferenceTime = std::chrono::system_clock::from_time_t(1700000000);  // Tue, 14 Nov 2023 22:13:20

double seconds(std::string_view value) {
  auto s = parse_retry_after(value, kReferenceTime);
  return s ? s->count() : -1;  // -1: no suggestion
}

TEST(RetryAfter, ReadsDeltaSecondsAndDecimals) {
  EXPECT_DOUBLE_EQ(seconds("7"), 7);
  EXPECT_DOUBLE_EQ(seconds(" 0 "), 0);
  EXPECT_DOUBLE_EQ(seconds("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(parse_delay("300", Seconds(0.001))->count(), 0.3);
}

TEST(RetryAfter, ClampsHugeValuesToOneDay) {
  EXPECT_DOUBLE_EQ(seconds("1e300"), -1);  // not decimal: no exponent
  EXPECT_DOUBLE_EQ(seconds("86401"), 86400);
  EXPECT_DOUBLE_EQ(seconds("99999999999999999999999999999999999999"), 86400);
  EXPECT_DOUBLE_EQ(seconds(std::string(400, '9')), 86400);  // beyond double
  EXPECT_DOUBLE_EQ(parse_delay(std::string(400, '9'), Seconds(0.001))->count(), 86400);
  EXPECT_DOUBLE_EQ(seconds("Fri, 31 Dec 9999 23:59:59 GMT"), 86400);
}

TEST(RetryAfter, RefusesWhatIsNotAPlainNumberOrADate) {
  for (std::string_view bad : {"-1", "+5", "NaN", "nan", "inf", "-inf", "0x10", "1e3", "1.2.3", ".",
                               "", " ", "5s", "soon", "1,5", "Tue, 14 Nov 2023"}) {
    EXPECT_EQ(seconds(bad), -1) << bad;
  }
}

TEST(RetryAfter, ReadsHttpDatesRelativeToNow) {
  EXPECT_DOUBLE_EQ(seconds("Tue, 14 Nov 2023 22:13:32 GMT"), 12);
  EXPECT_DOUBLE_EQ(seconds("Tuesday, 14-Nov-23 22:13:32 GMT"), 12);
  EXPECT_DOUBLE_EQ(seconds("Tue Nov 14 22:13:32 2023"), 12);
  EXPECT_DOUBLE_EQ(seconds("Tue, 14 Nov 2023 22:00:00 GMT"), 0);  // past
  EXPECT_DOUBLE_EQ(seconds("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

// The policy hands these suggestions on as the client's Retry-After: always within a day.
TEST(RetryAfter, PolicyPassesOnAtMostADay) {
  RetryPolicy policy({});
  for (const char* header : {"retry-after", "retry-after-ms", "x-ms-retry-after-ms"}) {
    const Headers headers{{header, std::string(40, '9')}};
    auto wait = RetryPolicy::suggested_wait(headers, kReferenceTime);
    ASSERT_TRUE(wait) << header;
    EXPECT_LE(wait->count(), 86400) << header;
    AttemptOutcome outcome;
    outcome.status = 429;
    outcome.headers = headers;
    auto d = policy.decide(1, outcome, kReferenceTime);
    EXPECT_FALSE(d.retry) << header;
    EXPECT_LE(d.error.retry_after_s, 86400) << header;
  }
  for (const char* value : {"1e300", "-1", "NaN", "inf", "0x7fffffffffffffff"}) {
    auto wait = RetryPolicy::suggested_wait({{"retry-after", value}}, kReferenceTime);
    EXPECT_TRUE(!wait || (wait->count() >= 0 && wait->count() <= 86400)) << value;
  }
}

}  // namespace
}  // namespace rag::upstream
