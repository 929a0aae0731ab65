#include "chat/query_rewrite.hpp"

#include <gtest/gtest.h>

namespace rag::chat {
namespace {

session::History five_messages() {
  return {{"user", "m1", ""}, {"assistant", "m2", ""}, {"user", "m3", ""},
          {"assistant", "m4", ""}, {"user", "m5", ""}};
}

TEST(QueryRewrite, ShortMessagesNeedHistory) {
  EXPECT_TRUE(needs_history("and ports?"));
  EXPECT_TRUE(needs_history("why"));
  EXPECT_TRUE(needs_history("one two three"));
  EXPECT_FALSE(needs_history("how do sessions expire here"));
}

TEST(QueryRewrite, PronounsNeedHistory) {
  EXPECT_TRUE(needs_history("How do I configure it for production?"));
  EXPECT_TRUE(needs_history("What does THIS setting do exactly"));
  EXPECT_TRUE(needs_history("Where are they stored on disk, please"));
  EXPECT_FALSE(needs_history("Where are sessions stored on disk"));
}

TEST(QueryRewrite, UsesTheLastFourMessagesThenTheMessage) {
  EXPECT_EQ(retrieval_query("and ports?", five_messages()), "m2 m3 m4 m5 and ports?");
}

TEST(QueryRewrite, LeavesLongSelfContainedMessagesAlone) {
  EXPECT_EQ(retrieval_query("how do sessions expire here", five_messages()),
            "how do sessions expire here");
}

TEST(QueryRewrite, NoHistoryMeansTheMessage) {
  EXPECT_EQ(retrieval_query("and it?", {}), "and it?");
  session::History two{{"user", "a", ""}, {"assistant", "b", ""}};
  EXPECT_EQ(retrieval_query("and it?", two), "a b and it?");
}

}  // namespace
}  // namespace rag::chat
