#include "eval/evaluator.hpp"

#include <gtest/gtest.h>

namespace rag::eval {
namespace {

retrieval::Hit hit(std::string url, std::string source) {
  retrieval::Hit h;
  h.metadata.citation_url = std::move(url);
  h.metadata.source = source;
  return h;
}

Collection questions() {
  Collection c;
  c.queries = {{"1", "port", {{"/configuration", 1}}},
               {"2", "source path", {{"docs/api.md", 1}}},
               {"3", "tomatoes", {}}};
  return c;
}

TEST(Evaluator, MapsHitsToCitationUrlsOrSourcesAndScores) {
  const auto search = [](const std::string& q) -> Result<std::vector<retrieval::Hit>> {
    if (q == "port") {
      return std::vector{hit("/api", "docs/api.md"), hit("/configuration", "docs/configuration.md"),
                         hit("/configuration", "docs/configuration.md")};
    }
    if (q == "source path") return std::vector{hit("/api", "docs/api.md")};
    return std::vector<retrieval::Hit>{};
  };
  std::size_t calls = 0;
  auto report = evaluate(questions(), search, [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(done, ++calls);
    EXPECT_EQ(total, 3u);
  });
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->queries.size(), 3u);
  EXPECT_EQ(report->queries[0].ranked, (std::vector<std::string>{"/api", "/configuration"}));
  EXPECT_DOUBLE_EQ(report->queries[0].metrics.mrr10, 0.5);
  EXPECT_EQ(report->queries[1].ranked, (std::vector<std::string>{"docs/api.md"}));
  EXPECT_DOUBLE_EQ(report->queries[1].metrics.mrr10, 1.0);
  EXPECT_EQ(report->judged.queries, 2u);
  EXPECT_DOUBLE_EQ(report->judged.mean.mrr10, 0.75);
  EXPECT_EQ(report->unjudged, 1u);
  EXPECT_EQ(report->unjudged_answered, 0u);
}

TEST(Evaluator, AnUnanswerableQuestionWithAResultCountsAsAnswered) {
  const auto search = [](const std::string&) -> Result<std::vector<retrieval::Hit>> {
    return std::vector{hit("/ui", "docs/ui.md")};
  };
  auto report = evaluate(questions(), search);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->unjudged_answered, 1u);
}

TEST(Evaluator, AFailedSearchFailsTheRun) {
  const auto search = [](const std::string&) -> Result<std::vector<retrieval::Hit>> {
    return fail(ErrorCode::kUnavailable, "the index is not loaded");
  };
  auto report = evaluate(questions(), search);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(report.error().message.find("query 1"), std::string::npos);
}

}  // namespace
}  // namespace rag::eval
