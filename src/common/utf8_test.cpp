#include "common/utf8.hpp"

#include <gtest/gtest.h>

namespace rag {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xF0\x9F\x9A\x80"));
  EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3)));  // NUL is a character
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));               // U+D7FF, below the surrogates
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF, the last code point
}

TEST(Utf8, RejectsWhatIsNotWellFormed) {
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, three bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong, four bytes
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // over U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));  // a lead byte past F4
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // a stray continuation byte
  EXPECT_FALSE(is_valid_utf8("\xC3\x28"));          // a lead byte without its continuation
}

TEST(Utf8, SequenceLengthIsTheBytesOfOneCodePoint) {
  const std::string_view text = "a\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80\xFF";
  EXPECT_EQ(utf8_sequence_length(text, 0), 1u);
  EXPECT_EQ(utf8_sequence_length(text, 1), 2u);
  EXPECT_EQ(utf8_sequence_length(text, 3), 3u);
  EXPECT_EQ(utf8_sequence_length(text, 6), 4u);
  EXPECT_EQ(utf8_sequence_length(text, 10), 0u);
  EXPECT_EQ(utf8_sequence_length(text, 2), 0u);  // inside a sequence
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("Vitæ"), 4u);
  EXPECT_EQ(utf8_length("日本語"), 3u);
  EXPECT_EQ(utf8_length("😀x"), 2u);
}

TEST(Utf8, PrefixKeepsWholeSequences) {
  EXPECT_EQ(utf8_prefix("😀😀😀", 2), "😀😀");
  EXPECT_EQ(utf8_prefix("ab", 5), "ab");
  EXPECT_EQ(utf8_prefix("ab", 0), "");
  EXPECT_EQ(utf8_prefix("é日x", 2), "é日");
}

TEST(Utf8, AppendsTheEncodingOfACodePoint) {
  std::string out;
  for (const char32_t cp : {U'a', U'é', U'日', U'😀'}) append_utf8(out, cp);
  EXPECT_EQ(out, "aé日😀");
  EXPECT_TRUE(is_valid_utf8(out));
}

}  // namespace
}  // namespace rag
