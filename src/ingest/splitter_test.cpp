// The splitter's rules one by one (docs/configuration.md defaults: 3 paragraphs, 1 overlap, min 100
// chars, max 2000 chars cut at sentence ends, sections from headings, code ends a section).
#include <gtest/gtest.h>

#include "ingest/splitter.hpp"
#include "ingest/text_util.hpp"

namespace rag::ingest {
namespace {

// A paragraph of exactly `n` characters starting with `tag`.
std::string para(const std::string& tag, std::size_t n = 120) {
  std::string p = tag + " ";
  while (p.size() < n) p += "x";
  return p;
}
Block P(const std::string& t) { return {Block::Kind::kParagraph, 0, t}; }
Block H(int level, const std::string& t) { return {Block::Kind::kHeading, level, t}; }
Block C(const std::string& t) { return {Block::Kind::kCode, 0, t}; }

TEST(Splitter, ThreeParagraphsPerChunkWithOneOverlap) {
  Document d;
  for (int i = 0; i < 5; ++i) d.blocks.push_back(P(para("p" + std::to_string(i))));
  auto chunks = split(d, SplitOptions{});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, para("p0") + "\n\n" + para("p1") + "\n\n" + para("p2"));
  EXPECT_EQ(chunks[1].text, para("p2") + "\n\n" + para("p3") + "\n\n" + para("p4"));
}

// The overlap is known from the windows, not found again in the text: the bytes of the shared
// units and the blank line after them, 0 for a section's first chunk.
TEST(Splitter, RecordsHowMuchOfEachChunkRepeatsThePreviousOne) {
  Document d;
  d.blocks.push_back(H(2, "Two"));
  for (int i = 0; i < 6; ++i) d.blocks.push_back(P(para("p" + std::to_string(i), 120 + i)));
  d.blocks.push_back(H(2, "Next"));
  d.blocks.push_back(P(para("q0")));
  SplitOptions o;
  o.chunk_paragraphs = 4;
  o.chunk_overlap = 2;
  auto chunks = split(d, o);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].overlap, 0u);
  const std::string shared = para("p2", 122) + "\n\n" + para("p3", 123) + "\n\n";
  EXPECT_TRUE(chunks[1].text.starts_with(shared));
  EXPECT_EQ(chunks[1].overlap, shared.size());
  EXPECT_EQ(chunks[2].section, "Next");
  EXPECT_EQ(chunks[2].overlap, 0u);
  o.chunk_overlap = 0;
  for (const auto& c : split(d, o)) EXPECT_EQ(c.overlap, 0u);
}

TEST(Splitter, LastWindowMayBeShorterButNeverOnlyTheOverlap) {
  Document d;
  for (int i = 0; i < 4; ++i) d.blocks.push_back(P(para("p" + std::to_string(i))));
  auto chunks = split(d, SplitOptions{});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].text, para("p2") + "\n\n" + para("p3"));
  Document three;
  for (int i = 0; i < 3; ++i) three.blocks.push_back(P(para("p" + std::to_string(i))));
  EXPECT_EQ(split(three, SplitOptions{}).size(), 1u);
}

TEST(Splitter, ShortParagraphsAreDropped) {
  Document d;
  d.blocks = {P(para("keep", 100)), P(para("drop", 99)), P("short")};
  auto chunks = split(d, SplitOptions{});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, para("keep", 100));
}

// Found by fuzz/splitter: with no minimum, a blank paragraph or a blank piece of a cut code
// block became a blank chunk (embedding APIs reject a whole batch for one blank input).
TEST(Splitter, BlankParagraphsNeverBecomeChunks) {
  Document d;
  d.blocks = {P("   "), P(""), P("\n\t"), P("real text")};
  SplitOptions o;
  o.min_paragraph_chars = 0;
  auto chunks = split(d, o);
  for (const auto& c : chunks) EXPECT_FALSE(trim(c.text).empty()) << "[" << c.text << "]";
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "real text");
}

TEST(Splitter, MinimumCountsCodePointsNotBytes) {
  Document d;
  std::string accented;
  for (int i = 0; i < 60; ++i) accented += "\xC3\xA9";  // 60 code points, 120 bytes
  d.blocks = {P(accented)};
  EXPECT_TRUE(split(d, SplitOptions{}).empty());
}

TEST(Splitter, HeadingStartsSectionAndChunksNeverCrossIt) {
  Document d;
  d.blocks = {H(2, "Alpha"), P(para("a1")), P(para("a2")), H(3, "Beta"), P(para("b1"))};
  auto chunks = split(d, SplitOptions{});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].section, "Alpha");
  EXPECT_EQ(chunks[0].section_level, "h2");
  EXPECT_EQ(chunks[0].text, para("a1") + "\n\n" + para("a2"));
  EXPECT_EQ(chunks[1].section, "Beta");
  EXPECT_EQ(chunks[1].section_level, "h3");
  EXPECT_EQ(chunks[1].text, para("b1"));
}

TEST(Splitter, NoHeadingGivesSectionNWithLevelNone) {
  Document d;
  d.blocks = {P(para("intro")), H(2, "Named"), P(para("n1"))};
  auto chunks = split(d, SplitOptions{});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].section, "Section 1");
  EXPECT_EQ(chunks[0].section_level, "none");
  EXPECT_EQ(chunks[1].section, "Named");
}

TEST(Splitter, CodeBlockEndsTheSection) {
  Document d;
  std::string code = "int main() {\n  return 0;\n}";
  d.blocks = {P(para("before1")), P(para("before2")), C(code), P(para("after1")),
              P(para("after2"))};
  auto chunks = split(d, SplitOptions{});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, para("before1") + "\n\n" + para("before2") + "\n\n" + code);
  EXPECT_EQ(chunks[0].section, "Section 1");
  EXPECT_EQ(chunks[1].text, para("after1") + "\n\n" + para("after2"));
  EXPECT_EQ(chunks[1].section, "Section 2");
}

TEST(Splitter, TinyCodeAloneIsNotAChunk) {
  Document d;
  d.blocks = {H(2, "Run"), C("make")};
  EXPECT_TRUE(split(d, SplitOptions{}).empty());
}

TEST(Splitter, LongParagraphIsCutAtSentenceEnds) {
  std::string sentence = "This sentence is exactly fifty characters long ok.";  // 50
  ASSERT_EQ(sentence.size(), 50u);
  std::string text;
  for (int i = 0; i < 10; ++i) text += (i ? " " : "") + sentence;  // 509 chars
  SplitOptions o;
  o.chunk_max_chars = 200;
  o.chunk_paragraphs = 1;
  o.chunk_overlap = 0;
  Document d;
  d.blocks = {P(text)};
  auto chunks = split(d, o);
  ASSERT_EQ(chunks.size(), 4u);  // 3 + 3 + 3 + 1 sentences (4 would be 203 chars)
  for (const auto& c : chunks) {
    EXPECT_LE(utf8_length(c.text), 200u);
    EXPECT_EQ(c.text.back(), '.');
  }
  EXPECT_EQ(chunks[0].text, sentence + " " + sentence + " " + sentence);
  EXPECT_EQ(chunks[3].text, sentence);
}

TEST(Splitter, SentenceLongerThanLimitIsCutAtSpaces) {
  auto pieces = cut_at_sentences("aaaa bbbb cccc dddd", 9);
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0], "aaaa bbbb");
  EXPECT_EQ(pieces[1], "cccc dddd");
  auto hard = cut_at_sentences("abcdefghij", 4);
  EXPECT_EQ(hard, (std::vector<std::string>{"abcd", "efgh", "ij"}));
}

TEST(Splitter, OptionsAreParametersAndValidated) {
  Document d;
  for (int i = 0; i < 4; ++i) d.blocks.push_back(P(para("p" + std::to_string(i), 30)));
  SplitOptions o{2, 0, 10, 2000};
  auto chunks = split(d, o);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1].text, para("p2", 30) + "\n\n" + para("p3", 30));
  EXPECT_FALSE(validate({3, 3, 100, 2000}));
  EXPECT_FALSE(validate({0, 0, 100, 2000}));
  EXPECT_FALSE(validate({3, 1, -1, 2000}));
  EXPECT_FALSE(validate({3, 1, 100, 0}));
  EXPECT_TRUE(validate({}));
}

}  // namespace
}  // namespace rag::ingest
