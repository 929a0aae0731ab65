#include "common/timestamp.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace rag {
namespace {

using std::chrono::system_clock;

// Local time of `t` to the second, formatted apart from the cache.
std::string local_seconds(system_clock::time_point t) {
  const std::time_t tt = system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  return {buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm)};
}

TEST(Timestamp, IsLocalTimeWithMicroseconds) {
  const auto t =
      system_clock::time_point(std::chrono::seconds(1'700'000'000)) + std::chrono::microseconds(42);
  EXPECT_EQ(iso_timestamp(t), local_seconds(t) + ".000042");
  EXPECT_TRUE(
      std::regex_match(iso_timestamp(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})")));
}

TEST(Timestamp, TheCachedSecondFollowsTheClock) {
  const auto t = system_clock::time_point(std::chrono::seconds(1'700'000'000));
  const auto later = t + std::chrono::seconds(61) + std::chrono::microseconds(999'999);
  EXPECT_EQ(iso_timestamp(t), local_seconds(t) + ".000000");
  EXPECT_EQ(iso_timestamp(later), local_seconds(later) + ".999999");
  EXPECT_EQ(iso_timestamp(t), local_seconds(t) + ".000000");
}

TEST(Timestamp, AppendsAfterWhatIsThere) {
  const auto t =
      system_clock::time_point(std::chrono::seconds(1'700'000'000)) + std::chrono::milliseconds(5);
  std::string out = "at ";
  append_iso_timestamp(out, t);
  EXPECT_EQ(out, "at " + local_seconds(t) + ".005000");
}

}  // namespace
}  // namespace rag
