#include "chat/text.hpp"

#include <gtest/gtest.h>

#include "common/utf8.hpp"

namespace rag::chat {
namespace {

TEST(Text, PreviewAddsEllipsisOnlyWhenLonger) {
  EXPECT_EQ(preview(std::string(200, 'a')), std::string(200, 'a'));
  EXPECT_EQ(preview(std::string(201, 'a')), std::string(200, 'a') + "...");
  EXPECT_EQ(preview(""), "");
}

TEST(Text, PreviewNeverCutsAUtf8Sequence) {
  std::string text;
  for (int i = 0; i < 150; ++i) text += "é日";  // 300 code points, 750 bytes
  const auto p = preview(text, 200);
  ASSERT_GE(p.size(), 3u);
  EXPECT_EQ(p.substr(p.size() - 3), "...");
  EXPECT_EQ(utf8_length(p), 203u);
  const std::string body = p.substr(0, p.size() - 3);
  EXPECT_EQ(body, text.substr(0, body.size()));
  // The byte after the cut starts a new code point.
  EXPECT_NE(static_cast<unsigned char>(text[body.size()]) & 0xC0, 0x80);
}

TEST(Text, SplitsSentencesAtTerminatorsAndBlankLines) {
  const auto s = split_sentences("First one. Second? Third!\n\nHeading\nNext line v1.2 stays.");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], "First one.");
  EXPECT_EQ(s[1], "Second?");
  EXPECT_EQ(s[2], "Third!");
  EXPECT_EQ(s[3], "Heading\nNext line v1.2 stays.");
  EXPECT_TRUE(split_sentences("   ").empty());
  EXPECT_EQ(split_sentences("no terminator").size(), 1u);
}

TEST(Text, BlankIsWhitespaceOnly) {
  EXPECT_TRUE(is_blank_text(""));
  EXPECT_TRUE(is_blank_text(" \t\n"));
  EXPECT_FALSE(is_blank_text(" a "));
}

}  // namespace
}  // namespace rag::chat
