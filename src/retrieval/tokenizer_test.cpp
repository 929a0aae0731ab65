#include "retrieval/tokenizer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace rag::retrieval {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SplitWords, LowerCasesAsciiAndSplitsOnPunctuation) {
  EXPECT_THAT(split_words("Hello, World! node.js VECTOR_DB_PATH 3.14"),
              ElementsAre("hello", "world", "node", "js", "vector", "db", "path", "3", "14"));
}

TEST(SplitWords, FoldsLatinDiacritics) {
  EXPECT_THAT(split_words("Café Curriculum Vitæ Straße ŁÓDŹ Œuvre"),
              ElementsAre("cafe", "curriculum", "vitae", "strasse", "lodz", "oeuvre"));
}

TEST(SplitWords, DropsCombiningMarks) {
  EXPECT_THAT(split_words("e\xCC\x81" "cole"), ElementsAre("ecole"));  // e + U+0301
}

TEST(SplitWords, LowerCasesGreekAndCyrillic) {
  EXPECT_THAT(split_words("ΑΘΗΝΑ Привет, МИР"), ElementsAre("αθηνα", "привет", "мир"));
}

TEST(SplitWords, KeepsOtherScriptsAsWords) {
  EXPECT_THAT(split_words("مرحبا بالعالم"), ElementsAre("مرحبا", "بالعالم"));
  EXPECT_THAT(split_words("नमस्ते दुनिया"), ElementsAre("नमस्ते", "दुनिया"));
}

TEST(SplitWords, IdeographsAreOneTokenEach) {
  EXPECT_THAT(split_words("日本語テキスト"),
              ElementsAre("日", "本", "語", "テ", "キ", "ス", "ト"));
}

TEST(SplitWords, EmojiAndSymbolsSeparate) {
  EXPECT_THAT(split_words("rocket\xF0\x9F\x9A\x80launch a\xE2\x80\x94" "b 5\xE2\x82\xAC"),
              ElementsAre("rocket", "launch", "a", "b", "5"));
}

TEST(SplitWords, ApostropheInsideAWordJoins) {
  EXPECT_THAT(split_words("don't user\xE2\x80\x99s 'quoted'"),
              ElementsAre("dont", "users", "quoted"));
}

TEST(SplitWords, InvalidUtf8Separates) {
  EXPECT_THAT(split_words("ab\xFF" "cd\xC3"), ElementsAre("ab", "cd"));
  EXPECT_THAT(split_words("\xE2\x82"), IsEmpty());
}

TEST(SplitWords, FullwidthLatinFoldsToAscii) {
  EXPECT_THAT(split_words("\xEF\xBC\xA1\xEF\xBD\x82\xEF\xBC\x91"), ElementsAre("ab1"));
}

TEST(SplitWords, DropsOverlongTokens) {
  EXPECT_THAT(split_words(std::string(kMaxTokenBytes + 1, 'x') + " ok"), ElementsAre("ok"));
  EXPECT_THAT(split_words(std::string(kMaxTokenBytes, 'x')), ElementsAre(std::string(64, 'x')));
}

TEST(Stem, UsesSnowballEnglish) {
  EXPECT_EQ(stem("running"), "run");
  EXPECT_EQ(stem("configuration"), "configur");
  EXPECT_EQ(stem("configure"), "configur");
  EXPECT_EQ(stem("servers"), "server");
  EXPECT_EQ(stem("привет"), "привет");  // non-ASCII words are left alone
}

TEST(StopWords, CommonFunctionWordsButNotNegations) {
  EXPECT_TRUE(is_stop_word("the"));
  EXPECT_TRUE(is_stop_word("how"));
  EXPECT_TRUE(is_stop_word("dont"));
  EXPECT_FALSE(is_stop_word("not"));
  EXPECT_FALSE(is_stop_word("server"));
}

TEST(Tokenize, FullPipeline) {
  EXPECT_THAT(tokenize("How do I configure the running servers?"),
              ElementsAre("configur", "run", "server"));
  EXPECT_THAT(tokenize("   "), IsEmpty());
  EXPECT_THAT(tokenize("the and of"), IsEmpty());
}

TEST(Tokenize, SafeFromManyThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (tokenize("connections running configured") !=
            std::vector<std::string>{"connect", "run", "configur"}) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace rag::retrieval
