#include "retrieval/query_terms.hpp"

#include <gtest/gtest.h>

namespace rag::retrieval {
namespace {

using Terms = std::vector<std::string>;

TEST(QueryTerms, QuestionWordsAreLeftOut) {
  EXPECT_EQ(query_terms("What happens when Azure returns 429?"), (Terms{"azur", "return", "429"}));
  EXPECT_EQ(query_terms("Can you explain how the rate limiter works, please?"),
            (Terms{"rate", "limit"}));
  EXPECT_EQ(query_terms("Is there a way to keep the index on a read-only disk?"),
            (Terms{"index", "read", "disk"}));
}

TEST(QueryTerms, InflectionsOfAQuestionWordAreQuestionWords) {
  EXPECT_TRUE(is_question_word("happen"));   // happens, happened, happening
  EXPECT_TRUE(is_question_word("doesnt"));   // doesn't, after the tokenizer
  EXPECT_FALSE(is_question_word("worker"));  // WORKERS is a setting, not "work"
  EXPECT_FALSE(is_question_word("index"));
}

TEST(QueryTerms, EachTermOnceInQueryOrder) {
  EXPECT_EQ(query_terms("redis Redis REDIS sessions redis"), (Terms{"redi", "session"}));
}

TEST(QueryTerms, AQueryOfQuestionWordsOnlyKeepsThem) {
  EXPECT_EQ(query_terms("help"), (Terms{"help"}));
  EXPECT_EQ(query_terms("how does it work?"), (Terms{"work"}));
  EXPECT_TRUE(query_terms("what is it?").empty());  // stop words only
}

}  // namespace
}  // namespace rag::retrieval
