// Unit tests for the OpenAI / Azure wire formats (request bodies, chat JSON, SSE, embeddings).
#include "upstream/wire.hpp"

#include <gtest/gtest.h>

namespace rag::upstream::wire {
namespace {

TEST(Wire, ChatBodyHasModelOnlyWhenGivenAndStreamFlag) {
  ChatRequest r{{{"user", "hi \"there\""}}, 0.2, 7};
  const std::string azure = chat_body(r, "", false);
  EXPECT_EQ(azure.find("\"model\""), std::string::npos);
  EXPECT_EQ(azure.find("\"stream\""), std::string::npos);
  EXPECT_NE(azure.find("\"max_tokens\":7"), std::string::npos);
  EXPECT_NE(azure.find(R"(hi \"there\")"), std::string::npos);
  const std::string openai = chat_body(r, "gpt-x", true);
  EXPECT_NE(openai.find("\"model\":\"gpt-x\""), std::string::npos);
  EXPECT_NE(openai.find("\"stream\":true"), std::string::npos);
}

TEST(Wire, ParsesChatCompletion) {
  auto a = parse_chat_completion(
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],
          "usage":{"prompt_tokens":3,"completion_tokens":1}})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->content, "Hello");
  EXPECT_EQ(a->finish_reason, "stop");
  EXPECT_EQ(a->prompt_tokens, 3);
  EXPECT_EQ(a->completion_tokens, 1);
}

TEST(Wire, FilteredCompletionWithNullContentIsEmpty) {
  auto a = parse_chat_completion(
      R"({"choices":[{"message":{"role":"assistant","content":null},"finish_reason":"content_filter"}]})");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->content, "");
  EXPECT_EQ(a->finish_reason, "content_filter");
}

TEST(Wire, MalformedCompletionIsUpstreamError) {
  EXPECT_EQ(parse_chat_completion("{\"choices\": [").error().code, ErrorCode::kUpstream);
  EXPECT_EQ(parse_chat_completion("{\"choices\": []}").error().code, ErrorCode::kUpstream);
  EXPECT_EQ(parse_chat_completion("[]").error().code, ErrorCode::kUpstream);
}

TEST(Wire, InvalidJsonKeepsTheParsersReasonCutShort) {
  const auto error = parse_chat_completion("{\"choices\": tru").error();
  EXPECT_NE(error.message.find("invalid JSON: [json.exception.parse_error"), std::string::npos)
      << error.message;
  const auto chunk = parse_chat_chunk("{\"x\": \"" + std::string(5000, 'a')).error();
  EXPECT_NE(chunk.message.find("invalid JSON in stream chunk: "), std::string::npos);
  EXPECT_LT(chunk.message.size(), 300u);
}

TEST(Wire, ChunksTolerateAzureShapes) {
  auto empty = parse_chat_chunk(R"({"choices":[],"prompt_filter_results":[{"prompt_index":0}]})");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->delta, "");
  auto no_delta = parse_chat_chunk(
      R"({"choices":[{"index":0,"finish_reason":null,"content_filter_results":{}}]})");
  ASSERT_TRUE(no_delta);
  EXPECT_EQ(no_delta->delta, "");
  auto content = parse_chat_chunk(R"({"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]})");
  ASSERT_TRUE(content);
  EXPECT_EQ(content->delta, "Hi");
  auto last = parse_chat_chunk(R"({"choices":[{"delta":{},"finish_reason":"stop"}]})");
  EXPECT_EQ(last->finish_reason, "stop");
  auto error = parse_chat_chunk(R"({"error":{"message":"overloaded"}})");
  ASSERT_FALSE(error);
  EXPECT_NE(error.error().message.find("overloaded"), std::string::npos);
}

TEST(Wire, SseParserSplitsEventsAcrossPiecesAndIgnoresComments) {
  SseParser p;
  std::vector<std::string> events;
  p.feed(": ping\n\ndata: {\"a\"", events);
  EXPECT_TRUE(events.empty());
  p.feed(":1}\r\n\r\ndata: line1\ndata: line2\n\nevent: x\ndata:[DONE]\n", events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], "{\"a\":1}");
  EXPECT_EQ(events[1], "line1\nline2");
  EXPECT_EQ(p.flush(), "[DONE]");
}

TEST(Wire, SseParserRefusesAnEndlessLineOrEvent) {
  SseParser line;
  std::vector<std::string> events;
  const std::string chunk(64 * 1024, 'x');
  bool ok = true;
  for (int i = 0; i < 20 && ok; ++i) ok = line.feed(chunk, events);  // no newline, ever
  EXPECT_FALSE(ok);
  SseParser event;
  const std::string data_line = "data: " + std::string(64 * 1024, 'y') + "\n";
  ok = true;
  for (int i = 0; i < 20 && ok; ++i) ok = event.feed(data_line, events);  // no blank line
  EXPECT_FALSE(ok);
  EXPECT_TRUE(events.empty());
}

TEST(Wire, EmbeddingsAreReorderedByIndex) {
  auto v = parse_embeddings(
      R"({"data":[{"index":1,"embedding":[0.0,1.0]},{"index":0,"embedding":[1.0,0.0]}]})", 2);
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)[0], (Vector{1.0f, 0.0f}));
  EXPECT_EQ((*v)[1], (Vector{0.0f, 1.0f}));
}

TEST(Wire, EmbeddingsWithWrongCountOrIndexAreRefused) {
  EXPECT_FALSE(parse_embeddings(R"({"data":[{"index":0,"embedding":[1.0]}]})", 2));
  EXPECT_FALSE(parse_embeddings(
      R"({"data":[{"index":0,"embedding":[1.0]},{"index":0,"embedding":[1.0]}]})", 2));
  EXPECT_FALSE(parse_embeddings(
      R"({"data":[{"index":0,"embedding":[1.0]},{"index":1,"embedding":[1.0,2.0]}]})", 2));
  EXPECT_FALSE(parse_embeddings("not json", 1));
}

TEST(Wire, ErrorBodiesAndTooManyInputs) {
  EXPECT_EQ(error_message(R"({"error":{"code":"429","message":"Rate limit is exceeded."}})"),
            "Rate limit is exceeded.");
  EXPECT_EQ(error_message("<html>bad gateway</html>"), "");
  EXPECT_TRUE(is_too_many_inputs(413, ""));
  EXPECT_TRUE(is_too_many_inputs(
      400, R"({"error":{"message":"Too many inputs. The max number of inputs is 16."}})"));
  EXPECT_FALSE(is_too_many_inputs(400, R"({"error":{"message":"bad"}})"));
  EXPECT_FALSE(is_too_many_inputs(429, "too many inputs"));
}

}  // namespace
}  // namespace rag::upstream::wire
