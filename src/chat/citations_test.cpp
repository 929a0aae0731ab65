#include "chat/citations.hpp"

#include <gtest/gtest.h>

namespace rag::chat {
namespace {

TEST(Citations, ValidMarkersStayAndMarkTheirSources) {
  const auto c = check_citations("Set PORT [1]. Limits are per IP [3].", 3);
  EXPECT_EQ(c.text, "Set PORT [1]. Limits are per IP [3].");
  EXPECT_EQ(c.cited, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(c.removed, 0u);
}

TEST(Citations, MarkersMatchingNoSourceAreRemovedWithTheSpaceBefore) {
  const auto c = check_citations("Set PORT [4]. Use TLS [0] and HSTS [12].", 2);
  EXPECT_EQ(c.text, "Set PORT. Use TLS and HSTS.");
  EXPECT_EQ(c.cited, (std::vector<bool>{false, false}));
  EXPECT_EQ(c.removed, 3u);
}

TEST(Citations, AListKeepsItsValidNumbers) {
  const auto c = check_citations("Both [1, 7,2] say so.", 2);
  EXPECT_EQ(c.text, "Both [1, 2] say so.");
  EXPECT_EQ(c.cited, (std::vector<bool>{true, true}));
  EXPECT_EQ(c.removed, 1u);
}

TEST(Citations, NoSourcesMeansEveryMarkerGoes) {
  const auto c = check_citations("Made up [1][2].", 0);
  EXPECT_EQ(c.text, "Made up.");
  EXPECT_TRUE(c.cited.empty());
  EXPECT_EQ(c.removed, 2u);
}

TEST(Citations, CodeLinksAndOtherBracketsAreLeftAlone) {
  const std::string answer =
      "Use `items[9]` or\n```\nx = a[7]\n```\nsee [the guide](https://x/) [5](https://y/), "
      "[note], [1a], [12345] and [^2].";
  const auto c = check_citations(answer, 1);
  EXPECT_EQ(c.text, answer);
  EXPECT_EQ(c.removed, 0u);
  EXPECT_EQ(c.cited, (std::vector<bool>{false}));
}

TEST(Citations, UnterminatedMarkersAndEdgesAreText) {
  for (std::string_view text : {"[", "[1", "[1,", "[ ]", "a [1, ] b", "]["}) {
    const auto c = check_citations(text, 1);
    EXPECT_EQ(c.text, text);
    EXPECT_EQ(c.removed, 0u);
  }
  EXPECT_EQ(check_citations("[2] First.", 1).text, " First.");
}

}  // namespace
}  // namespace rag::chat
