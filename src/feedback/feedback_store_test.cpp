#include "feedback/sqlite_feedback_store.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>

namespace rag::feedback {
namespace {

namespace asio = boost::asio;
constexpr std::int64_t kDay = 86400;

template <class T>
T run(asio::awaitable<T> a) {
  asio::io_context io;
  auto f = asio::co_spawn(io, std::move(a), asio::use_future);
  io.run();
  return f.get();
}

class FeedbackStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rag-feedback-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteFeedbackStore> open() {
    auto s = SqliteFeedbackStore::open(dir_ / "state" / "feedback.sqlite",
                                       std::chrono::seconds(30 * kDay), [this] { return now_; });
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  static AnswerRecord answer(std::string id, std::int64_t time, std::string question,
                             bool refused) {
    return {std::move(id), time, std::move(question), "An answer.", {"/a", "/b"}, refused};
  }

  Report report(FeedbackStore& store, std::int64_t since = 0, std::size_t limit = 10) {
    auto answers = run(store.answers_since(since));
    EXPECT_TRUE(answers.has_value());
    return make_report(answers.value_or(std::vector<StoredAnswer>{}), limit);
  }

  std::filesystem::path dir_;
  std::int64_t now_ = 100 * kDay;
};

TEST_F(FeedbackStoreTest, RatingAKeptAnswerWorksAndAnUnknownOneIsNotFound) {
  auto store = open();
  ASSERT_TRUE(run(store->record(answer("id1", now_, "How do I set the port?", false))));
  EXPECT_TRUE(run(store->rate("id1", Rating::kDown, "wrong port")));
  EXPECT_TRUE(run(store->rate("id1", Rating::kDown, "still wrong")));  // the later one wins
  auto unknown = run(store->rate("nope", Rating::kUp, ""));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto r = std::make_optional(report(*store));
  ASSERT_EQ(r->thumbs_down.size(), 1u);
  EXPECT_EQ(r->thumbs_down[0].answer.question, "How do I set the port?");
  EXPECT_EQ(r->thumbs_down[0].answer.sources, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(r->thumbs_down[0].comment, "still wrong");
}

TEST_F(FeedbackStoreTest, RecordsSurviveReopeningAndExpireAfterTheRetention) {
  {
    auto store = open();
    ASSERT_TRUE(run(store->record(answer("old", now_ - 31 * kDay, "q", true))));
    ASSERT_TRUE(run(store->record(answer("new", now_ - kDay, "q", true))));
  }
  auto store = open();  // purges what is older than 30 days
  EXPECT_EQ(run(store->rate("old", Rating::kUp, "")).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(run(store->rate("new", Rating::kUp, "")));
  now_ += 30 * kDay;  // "new" is now 31 days old: not rateable even before the next purge
  EXPECT_FALSE(run(store->rate("new", Rating::kUp, "")));
}

TEST_F(FeedbackStoreTest, ReportGroupsUnansweredQuestionsAndCountsDays) {
  auto store = open();
  const std::int64_t day1 = now_ - 2 * kDay, day2 = now_ - kDay;
  ASSERT_TRUE(run(store->record(answer("1", day1, "How do I plant tomatoes?", true))));
  ASSERT_TRUE(run(store->record(answer("2", day2, "how do i   plant TOMATOES", true))));
  ASSERT_TRUE(run(store->record(answer("3", day2, "What is SSO?", true))));
  ASSERT_TRUE(run(store->record(answer("4", day2, "Set the port?", false))));
  ASSERT_TRUE(run(store->rate("4", Rating::kUp, "")));
  auto r = std::make_optional(report(*store));
  ASSERT_EQ(r->unanswered.size(), 2u);
  EXPECT_EQ(r->unanswered[0].count, 2u);
  EXPECT_EQ(r->unanswered[0].question, "how do i   plant TOMATOES");  // the latest spelling
  EXPECT_EQ(r->unanswered[0].last_seen, day2);
  EXPECT_EQ(r->unanswered[1].question, "What is SSO?");
  ASSERT_EQ(r->days.size(), 2u);
  EXPECT_EQ(r->days[0].answers, 1u);
  EXPECT_EQ(r->days[1].answers, 3u);
  EXPECT_EQ(r->days[1].refusals, 2u);
  EXPECT_EQ(r->days[1].up, 1u);
  EXPECT_EQ(r->days[1].down, 0u);
  auto since = std::make_optional(report(*store, day2, 1));  // day2 on, one entry per list
  ASSERT_EQ(since->unanswered.size(), 1u);
  EXPECT_EQ(since->days.size(), 1u);
}

TEST_F(FeedbackStoreTest, WithinOneSecondTheLastRecordedSpellingNamesTheGroup) {
  auto store = open();
  ASSERT_TRUE(run(store->record(answer("a", now_, "Plant tomatoes?", true))));
  ASSERT_TRUE(run(store->record(answer("b", now_, "plant TOMATOES", true))));
  auto r = std::make_optional(report(*store));
  ASSERT_EQ(r->unanswered.size(), 1u);
  EXPECT_EQ(r->unanswered[0].question, "plant TOMATOES");
}

TEST_F(FeedbackStoreTest, KeepsAPrefixOfLongAnswers) {
  auto store = open();
  auto a = answer("long", now_, "q", false);
  a.answer = std::string(3000, 'x');
  ASSERT_TRUE(run(store->record(a)));
  ASSERT_TRUE(run(store->rate("long", Rating::kDown, "")));
  auto r = std::make_optional(report(*store));
  EXPECT_EQ(r->thumbs_down.at(0).answer.answer.size(), kStoredAnswerChars);
}

TEST_F(FeedbackStoreTest, AFolderThatCannotBeCreatedIsAnError) {
  std::filesystem::create_directories(dir_);
  { std::ofstream(dir_ / "file") << "x"; }
  auto s = SqliteFeedbackStore::open(dir_ / "file" / "feedback.sqlite", std::chrono::seconds(kDay));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
}

TEST(NormaliseQuestion, CaseSpacePunctuationAndApostrophes) {
  EXPECT_EQ(normalise_question("  How do I set the PORT?  "), "how do i set the port");
  EXPECT_EQ(normalise_question("what's rate-limit\t\n(TLS)"), "whats rate limit tls");
  EXPECT_EQ(normalise_question("Qué pasa?"), "qué pasa");
  EXPECT_EQ(normalise_question("?!"), "");
}

}  // namespace
}  // namespace rag::feedback
