// RedisFeedbackStore against a real redis-server: an answer recorded through one replica is
// rated through another and read back by the report; unknown ids are not found; keys expire
// with the retention.
#include "feedback/redis_feedback_store.hpp"

#include <gtest/gtest.h>

#include "redis/testing/redis_fixture.hpp"
#include "redis/testing/redis_server.hpp"
#include "common/testing/support.hpp"

namespace rag::feedback {
namespace {

class RedisFeedbackTest : public rag::testing::RedisFixture {};

std::int64_t now() { return unix_now(); }

TEST_F(RedisFeedbackTest, AnAnswerRecordedByOneReplicaIsRatedThroughAnother) {
  RedisFeedbackStore a(client(0), std::chrono::hours(24), "f1:");
  RedisFeedbackStore b(client(1), std::chrono::hours(24), "f1:");
  const AnswerRecord answer{"id1", now(), "How do I set \"the\" port?", std::string(1500, 'x'),
                            {"/config", "/api"}, false};
  ASSERT_TRUE(io_.run(a.record(answer)));
  ASSERT_TRUE(io_.run(a.record({"id2", now(), "plant tomatoes?", "", {}, true})));
  ASSERT_TRUE(io_.run(b.rate("id1", Rating::kDown, "wrong port")));
  auto unknown = io_.run(b.rate("nope", Rating::kUp, ""));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  auto answers = io_.run(b.answers_since(0));
  ASSERT_TRUE(answers) << answers.error().message;
  const auto report = make_report(*answers, 10);
  ASSERT_EQ(report.thumbs_down.size(), 1u);
  const auto& down = report.thumbs_down[0];
  EXPECT_EQ(down.answer.question, "How do I set \"the\" port?");
  EXPECT_EQ(down.answer.answer.size(), kStoredAnswerChars);
  EXPECT_EQ(down.answer.sources, (std::vector<std::string>{"/config", "/api"}));
  EXPECT_EQ(down.comment, "wrong port");
  ASSERT_EQ(report.unanswered.size(), 1u);
  EXPECT_EQ(report.unanswered[0].question, "plant tomatoes?");

  // Both keys expire with the retention; the rating no later than its answer.
  const int answer_ttl = std::stoi(server_.sync_command({"TTL", "f1:feedback:answer:id1"}));
  const int rating_ttl = std::stoi(server_.sync_command({"TTL", "f1:feedback:rating:id1"}));
  EXPECT_GT(answer_ttl, 86000);
  EXPECT_LE(rating_ttl, answer_ttl);
  EXPECT_GT(rating_ttl, 0);
}

TEST_F(RedisFeedbackTest, AnswersOlderThanTheRetentionLeaveTheIndex) {
  RedisFeedbackStore s(client(0), std::chrono::hours(1), "f2:");
  ASSERT_TRUE(io_.run(s.record({"old", now() - 7200, "q", "", {}, true})));
  ASSERT_TRUE(io_.run(s.record({"new", now(), "q", "", {}, true})));
  EXPECT_EQ(server_.sync_command({"ZCARD", "f2:feedback:answers"}), "1");
  auto answers = io_.run(s.answers_since(0));
  ASSERT_TRUE(answers);
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ(answers->at(0).answer.response_id, "new");
}

TEST_F(RedisFeedbackTest, AStoredAnswerThatIsNotAValidRecordIsSkippedAndLogged) {
  RedisFeedbackStore s(client(0), std::chrono::hours(1), "f3:");
  ASSERT_TRUE(io_.run(s.record({"good", now(), "q", "", {}, true})));
  server_.sync_command({"SET", "f3:feedback:answer:bad", R"({"time": "yesterday"})"});
  server_.sync_command({"ZADD", "f3:feedback:answers", std::to_string(now()), "bad"});
  rag::testing::LogCapture log;
  auto answers = io_.run(s.answers_since(0));
  ASSERT_TRUE(answers) << answers.error().message;
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ(answers->at(0).answer.response_id, "good");
  EXPECT_EQ(log.count("Skipping the stored answer bad"), 1) << log.text();
}

}  // namespace
}  // namespace rag::feedback
