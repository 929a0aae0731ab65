#include "common/text.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace rag {
namespace {

TEST(AsciiText, TrimsAsciiSpaceByDefault) {
  EXPECT_EQ(trim(" \t\n\v\f\rkey = value \r\n"), "key = value");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("a"), "a");
  EXPECT_EQ(trim("\xC2\xA0x"), "\xC2\xA0x");  // NBSP is not ASCII space
}

TEST(AsciiText, TrimsOnlyTheCharactersAsked) {
  EXPECT_EQ(trim(" \tchunked\t ", kSpaceTab), "chunked");
  EXPECT_EQ(trim("\nchunked ", kSpaceTab), "\nchunked");
  EXPECT_EQ(trim("\f text\r\n", " \t\n\r"), "\f text");
}

TEST(AsciiText, LowersAsciiLettersOnly) {
  EXPECT_EQ(lower("Content-TYPE"), "content-type");
  EXPECT_EQ(lower("ÉTÉ 2024"), "ÉtÉ 2024");  // bytes of UTF-8 letters left as they are
  EXPECT_EQ(lower(""), "");
}

TEST(AsciiText, ComparesIgnoringAsciiCase) {
  EXPECT_TRUE(iequals("Transfer-Encoding", "transfer-encoding"));
  EXPECT_FALSE(iequals("chunked", "chunke"));
  EXPECT_FALSE(iequals("[", "{"));  // '[' + 32 is '{': only letters fold
  EXPECT_TRUE(iequals("", ""));
}

TEST(AsciiText, IdTokensAreShortAndSafeToEcho) {
  EXPECT_TRUE(is_id_token("abc-DEF_1.2:3"));
  EXPECT_TRUE(is_id_token(std::string(128, 'a')));
  EXPECT_FALSE(is_id_token(""));
  EXPECT_FALSE(is_id_token(std::string(129, 'a')));
  EXPECT_FALSE(is_id_token("a b"));
  EXPECT_FALSE(is_id_token("a\r\nSet-Cookie: x"));
  EXPECT_FALSE(is_id_token("a/b"));
  EXPECT_FALSE(is_id_token("é"));
}

TEST(AsciiText, AsciiSpaceIsWhatIsspaceAccepts) {
  for (int c = 0; c < 128; ++c) {
    EXPECT_EQ(is_ascii_space(static_cast<char>(c)), std::isspace(c) != 0) << c;
  }
  EXPECT_FALSE(is_ascii_space('\xA0'));
}

}  // namespace
}  // namespace rag
