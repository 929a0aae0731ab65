#include "rag/extractive.hpp"

#include <gtest/gtest.h>

namespace rag::chat {
namespace {

std::vector<Source> sources() {
  return {
      {"/config", "Configuration",
       "The server reads its settings from the environment. Set the PORT variable to change the "
       "listening port. Logs go to LOG_DIR.",
       0.9},
      {"/docker", "Docker",
       "Containers run as UID 1001. Publish the port with -p when you change the port.", 0.6},
  };
}

TEST(Extractive, PicksMatchingSentencesInDocumentOrderWithCitations) {
  const auto chosen = select_sentences("how do I change the port", sources());
  ASSERT_GE(chosen.size(), 2u);
  // Document order: passage rank, then position.
  for (std::size_t i = 1; i < chosen.size(); ++i) {
    EXPECT_TRUE(chosen[i - 1].passage < chosen[i].passage ||
                (chosen[i - 1].passage == chosen[i].passage &&
                 chosen[i - 1].position < chosen[i].position));
  }
  bool has_port_sentence = false;
  for (const auto& s : chosen) {
    EXPECT_GT(s.score, 0);
    if (s.text == "Set the PORT variable to change the listening port.") has_port_sentence = true;
  }
  EXPECT_TRUE(has_port_sentence);
}

TEST(Extractive, AnswerCitesItsPassages) {
  const auto answer = extractive_answer("change the port", sources());
  EXPECT_NE(answer.find("Set the PORT variable to change the listening port. [1]"),
            std::string::npos);
  EXPECT_NE(answer.find("\n\nSources:\n[1] Configuration (/config)"), std::string::npos);
  EXPECT_EQ(answer.find("Logs go to LOG_DIR"), std::string::npos);  // no overlap, not chosen
}

TEST(Extractive, WithoutOverlapTheFirstSentenceOfTheBestPassage) {
  const auto chosen = select_sentences("zebra", sources());
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].passage, 0u);
  EXPECT_EQ(chosen[0].position, 0u);
}

TEST(Extractive, RespectsTheSentenceBound) {
  ExtractiveOptions options;
  options.max_sentences = 1;
  EXPECT_EQ(select_sentences("port", sources(), options).size(), 1u);
  EXPECT_TRUE(select_sentences("port", {}).empty());
  EXPECT_EQ(extractive_answer("port", {}), "");
}

}  // namespace
}  // namespace rag::chat
