#include "session/history_bounds.hpp"

#include <gtest/gtest.h>

namespace rag::session {
namespace {

Message msg(std::size_t bytes) { return {"user", std::string(bytes - 4, 'x'), ""}; }

TEST(HistoryBounds, CountsRoleContentAndTimestamp) {
  EXPECT_EQ(message_bytes({"assistant", "hello", "2024-01-15T10:30:45.123456"}), 9u + 5 + 26);
}

TEST(HistoryBounds, DropsTheOldestBeyondTheMessageBound) {
  History h{msg(10), msg(11), msg(12)};
  trim_history(h, {.max_messages = 2, .max_bytes = 1000});
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(message_bytes(h[0]), 11u);
}

TEST(HistoryBounds, DropsTheOldestUntilTheBytesFit) {
  History h{msg(400), msg(300), msg(200), msg(100)};
  trim_history(h, {.max_messages = 20, .max_bytes = 600});
  ASSERT_EQ(h.size(), 3u);  // 300 + 200 + 100
  EXPECT_EQ(message_bytes(h.front()), 300u);
  trim_history(h, {.max_messages = 20, .max_bytes = 599});
  ASSERT_EQ(h.size(), 2u);
}

TEST(HistoryBounds, AMessageLargerThanTheBoundIsNotKept) {
  History h{msg(100), msg(5000)};
  trim_history(h, {.max_messages = 20, .max_bytes = 1024});
  EXPECT_TRUE(h.empty());
}

}  // namespace
}  // namespace rag::session
