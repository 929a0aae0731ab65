#include "chat/extractive.hpp"

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

TEST(Extractive, NoSentenceIsQuotedTwice) {
  // The same sentence in two passages (a repeated paragraph): quoted once, from the first.
  const std::string shared = "Azure answers 429 when the quota is exhausted.";
  const std::vector<Source> passages{
      {"/operations", "Operations", shared + " The server retries with backoff.", 0.9},
      {"/configuration", "Configuration", shared + " LLM_MAX_RETRIES sets the attempts.", 0.8}};
  const auto answer = extractive_answer("what happens when azure returns 429", passages);
  EXPECT_EQ(answer.find(shared), answer.rfind(shared)) << answer;
  EXPECT_NE(answer.find(shared), std::string::npos) << answer;
}

TEST(Extractive, EachPassageIsCitedOnceAfterItsSentences) {
  ExtractiveOptions options;
  options.max_sentences = 3;
  const std::vector<Source> one{
      {"/config", "Configuration",
       "Set PORT to change the port. The port must be free. Unrelated text here.", 0.9}};
  const auto answer = extractive_answer("port", one, options);
  const auto body = answer.substr(0, answer.find("\n\nSources:"));
  EXPECT_EQ(body.find("[1]"), body.rfind("[1]")) << answer;
  EXPECT_TRUE(body.ends_with("[1]")) << answer;
}

TEST(Extractive, PrefersSentencesThatCoverTheRestOfTheQuestion) {
  // Two sentences of the first passage say the same about the port; the second passage's
  // sentence covers the other half of the question and is chosen over the repetition.
  ExtractiveOptions options;
  options.max_sentences = 2;
  const std::vector<Source> passages{
      {"/config", "Configuration",
       "Set the PORT variable to change the listening port. The listening port is set by PORT.",
       0.9},
      {"/logs", "Logs", "Log files go to LOG_DIR and rotate by size.", 0.5}};
  const auto chosen = select_sentences("listening port and log files", passages, options);
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].passage, 0u);
  EXPECT_EQ(chosen[1].passage, 1u);
}

// Passages as the Markdown loader stores them: prose paragraphs on one line each, code blocks
// kept as their lines, blocks separated by blank lines.
std::vector<Source> docs_with_code() {
  return {
      {"/api", "HTTP API reference",
       "The route is rate limited per client by RATE_LIMIT_CHAT (20 per minute by default).\n\n"
       "curl -s localhost:8000/chat -H 'Content-Type: application/json' \\\n"
       "  -d '{\"message\": \"How do I change the chat rate limit?\", \"session_id\": \"u\"}'\n\n"
       "{\"response\": \"Set RATE_LIMIT_CHAT, for example RATE_LIMIT_CHAT=50/minute ...\",\n"
       " \"session_id\": \"user-42\", \"timestamp\": \"2024-01-15T10:30:45.123456\",\n"
       " \"sources\": [{\"url\": \"/configuration\", \"title\": \"Configuration reference\"}]}",
       0.7},
      {"/configuration", "Configuration reference",
       "Set RATE_LIMIT_CHAT to change the chat rate limit, for example to 50 per minute.\n\n"
       "RATE_LIMIT_CHAT=50/minute\nRATE_LIMIT_SEARCH=off\n\n"
       "# {\"error\": \"Rate limit exceeded: 20 per 1 minute\"}",
       0.6},
  };
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(Extractive, SkipsCodeBlocksJsonAndSettingLines) {
  const auto answer = extractive_answer("How do I change the chat rate limit?", docs_with_code());
  EXPECT_TRUE(contains(answer, "Set RATE_LIMIT_CHAT to change the chat rate limit")) << answer;
  EXPECT_TRUE(contains(answer, "The route is rate limited per client")) << answer;
  EXPECT_FALSE(contains(answer, "curl")) << answer;
  EXPECT_FALSE(contains(answer, "{")) << answer;
  EXPECT_FALSE(contains(answer, "RATE_LIMIT_CHAT=50/minute")) << answer;
}

TEST(Extractive, SkipsJsonLookingSentencesInsideProse) {
  const std::vector<Source> sources = {
      {"/api", "API",
       "A history list of {\"role\": \"user\", \"content\": \"...\", \"timestamp\": \"...\"} "
       "items replaces the stored history. The history of a session is kept for a day.",
       0.5}};
  const auto chosen = select_sentences("session history", sources);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].text, "The history of a session is kept for a day.");
}

TEST(Extractive, SkipsPiecesOfAnInlineExampleCutAtAFullStop) {
  // The splitter cuts inside the JSON string: neither piece reads as a sentence.
  const std::vector<Source> sources = {
      {"/api", "API",
       "An upstream timeout is 504 {\"detail\": \"Request timed out. Please try again.\"} with "
       "a request id. Timeouts of the upstream are retried.",
       0.5}};
  const auto chosen = select_sentences("upstream timeout", sources);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_EQ(chosen[0].text, "Timeouts of the upstream are retried.");
}

TEST(Extractive, KeepsProseWithASmallInlineExample) {
  const std::vector<Source> sources = {
      {"/api", "API",
       "POST /search takes {\"query\": \"...\", \"k\": 5} and returns the best passages.", 0.5}};
  const auto chosen = select_sentences("search passages", sources);
  ASSERT_EQ(chosen.size(), 1u);
  EXPECT_TRUE(chosen[0].text.starts_with("POST /search takes"));
}

TEST(Extractive, WrappedPlainTextIsProse) {
  const std::vector<Source> sources = {
      {"/config", "Configuration",
       "The server reads its settings from the environment. Set the PORT variable to change the\n"
       "port the server listens on; the default port is 8000.\n\n"
       "docker run -p 8000:8000 rag-server\n"
       "    --port 9000",
       0.5}};
  const auto answer = extractive_answer("change the port", sources);
  EXPECT_TRUE(contains(answer, "Set the PORT variable to change the\nport the server listens on"))
      << answer;
  EXPECT_FALSE(contains(answer, "docker run")) << answer;
  EXPECT_FALSE(contains(answer, "--port")) << answer;
}

TEST(Extractive, ShellCommandWordsInProseStayProse) {
  const std::vector<Source> sources = {
      {"/ops", "Operations",
       "curl is all you need to probe the server.\n\n"
       "rag-server index builds the index; run it again after editing the documents.",
       0.5}};
  const auto answer = extractive_answer("probe the server and build the index", sources);
  EXPECT_TRUE(contains(answer, "curl is all you need")) << answer;
  EXPECT_TRUE(contains(answer, "rag-server index builds the index")) << answer;
}

TEST(Extractive, CommandsOfAnyProgramAreCodeByTheirShape) {
  // Programs no list would know, each line a block of its own and each holding the question's
  // words: a flag, a path as the program with a trailing comment, a quoted argument.
  const std::vector<Source> sources = {
      {"/ops", "Operations",
       "Start the balancer with its configuration file before the replicas.\n\n"
       "haproxy -f deploy/balancer/replicas-configuration.cfg\n\n"
       "bench/start.sh balancer replicas 3    # start the balancer configuration\n\n"
       "jq '.replicas' deploy/balancer/configuration.json",
       0.5}};
  const auto answer = extractive_answer("start the balancer replicas configuration", sources);
  EXPECT_TRUE(contains(answer, "Start the balancer")) << answer;
  EXPECT_FALSE(contains(answer, "haproxy")) << answer;
  EXPECT_FALSE(contains(answer, "start.sh")) << answer;
  EXPECT_FALSE(contains(answer, "jq")) << answer;
}

TEST(Extractive, ProseThatMentionsAPathStaysProse) {
  // Starts like a command (a lower-case word, then a path) but reads as running text.
  const std::vector<Source> sources = {
      {"/ops", "Operations",
       "The balancer checks each replica every second.\n\n"
       "replicas read their settings from deploy/values.json and the balancer sends each one "
       "a share of the traffic",
       0.5}};
  const auto answer = extractive_answer("replicas settings balancer", sources);
  EXPECT_TRUE(contains(answer, "replicas read their settings from deploy/values.json")) << answer;
}

TEST(Extractive, APassageOfOnlyCodeStillGivesAnAnswer) {
  const std::vector<Source> sources = {
      {"/k8s", "Kubernetes", "apiVersion: apps/v1\nkind: Deployment\n    replicas: 2", 0.5}};
  EXPECT_FALSE(select_sentences("replicas", sources).empty());
}

}  // namespace
}  // namespace rag::chat
