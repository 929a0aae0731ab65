// The OpenAI-compatible face: request mapping, the completion and chunk shapes, streaming,
// errors and /v1/models, through the handlers with a hand-built RequestContext.
#include "api/openai_api.hpp"

#include <gtest/gtest.h>

#include "api/testing/handler_call.hpp"
#include "api/openai_handler.hpp"
#include "chat/testing/chat_fakes.hpp"

namespace rag::api {
namespace {

using nlohmann::json;
using testing::Call;

constexpr const char* kOpenAiQuestion = "How do I change the port the server listens on?";

TEST(OpenAiRequest, LastUserMessageIsTheQuestionEarlierOnesTheHistory) {
  auto r = parse_openai_request(
      R"({"model": "m", "temperature": 0.5, "max_tokens": 9, "messages": [
            {"role": "system", "content": "Be a pirate."},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "reply"},
            {"role": "user", "content": [{"type": "text", "text": "part1"},
                                         {"type": "image_url", "image_url": {"url": "x"}},
                                         {"type": "text", "text": "part2"}]}]})",
      "application/json");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->question, "part1\npart2");
  ASSERT_EQ(r->history.size(), 2u);  // the system message is ignored
  EXPECT_EQ(r->history[0].content, "first");
  EXPECT_EQ(r->history[1].role, "assistant");
  EXPECT_EQ(r->model, "m");
  EXPECT_EQ(r->temperature, 0.5);
  EXPECT_EQ(r->max_tokens, 9);
  EXPECT_FALSE(r->stream);
}

TEST(OpenAiRequest, PartsWhoseTypeIsNotAStringAreSkipped) {
  auto r = parse_openai_request(
      R"({"messages": [{"role": "user", "content": [{"type": 7, "text": "seven"},
                                                    {"type": null, "text": "null"},
                                                    {"type": "text", "text": "kept"}]}]})",
      "application/json");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->question, "kept");
}

TEST(OpenAiRequest, RejectsWhatOpenAiRejects) {
  for (const char* body :
       {R"({})", R"({"messages": []})", R"({"messages": [{"role": "assistant", "content": "x"}]})",
        R"({"messages": [{"content": "x"}]})", R"({"messages": [{"role": "user", "content": 5}]})",
        R"({"messages": [{"role": "user", "content": "x"}], "temperature": 3})",
        R"({"messages": [{"role": "user", "content": "x"}], "stream": "yes"})", R"(nope)"}) {
    auto r = parse_openai_request(body, "application/json");
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().status, 400u);
    auto j = json::parse(openai_error_body(r.error()));
    EXPECT_EQ(j["error"]["type"], "invalid_request_error");
    EXPECT_TRUE(j["error"]["message"].is_string());
  }
}

TEST(OpenAiRequest, EarlierMessagesAreBoundedInNumberAndLength) {
  const std::string turn = R"({"role": "assistant", "content": "abc"},)";
  std::string three;
  for (int i = 0; i < 3; ++i) three += turn;
  const auto body = [](const std::string& earlier) {
    return R"({"messages": [)" + earlier + R"({"role": "user", "content": "q"}]})";
  };
  EXPECT_TRUE(parse_openai_request(body(three), "application/json", {.max_history_messages = 3}));
  auto many =
      parse_openai_request(body(three + turn), "application/json", {.max_history_messages = 3});
  ASSERT_FALSE(many.has_value());
  EXPECT_EQ(many.error().status, 400u);
  EXPECT_EQ(many.error().param, "messages");
  EXPECT_TRUE(parse_openai_request(body(turn), "application/json", {.max_history_chars = 3}));
  auto long_turn = parse_openai_request(body(turn), "application/json", {.max_history_chars = 2});
  ASSERT_FALSE(long_turn.has_value());
  EXPECT_EQ(long_turn.error().status, 400u);
}

class OpenAiHandlerTest : public chat::testing::PipelineFixture {
 protected:
  OpenAiHandlerTest() { make_pipeline(); }
  static std::string body(bool stream) {
    return json{{"model", "rag-server"},
                {"stream", stream},
                {"messages", {{{"role", "user"}, {"content", kOpenAiQuestion}}}}}
        .dump();
  }
};

TEST_F(OpenAiHandlerTest, CompletionShapeWithSourcesAndNoStoredSession) {
  Call call(http::Verb::post, "/v1/chat/completions", body(false));
  auto res = call.run(openai_chat_completions_handler(*pipeline_, {}));
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  auto j = testing::body_json(res);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_TRUE(j["created"].is_number_integer());
  EXPECT_EQ(j["model"], "rag-server");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_EQ(j["choices"][0]["message"], json::parse(R"({"role": "assistant",
                                                        "content": "Ports are set with PORT."})"));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["usage"]["total_tokens"], 13);
  ASSERT_FALSE(j["sources"].empty());
  EXPECT_EQ(j["sources"][0]["url"], "/config");
  EXPECT_EQ(store_->size(), 0u);
  EXPECT_TRUE(call.watched);
}

TEST_F(OpenAiHandlerTest, StreamIsChunksThenDone) {
  Call call(http::Verb::post, "/v1/chat/completions", body(true));
  call.run(openai_chat_completions_handler(*pipeline_, {}));
  ASSERT_TRUE(call.writer.started);
  EXPECT_EQ(call.writer.head["Content-Type"], "text/event-stream; charset=utf-8");
  auto events = testing::parse_sse(call.writer.text());
  ASSERT_EQ(events.size(), 6u) << call.writer.text();
  EXPECT_EQ(events.back().data, "[DONE]");
  auto first = json::parse(events[0].data);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_FALSE(first["sources"].empty());
  std::string text;
  for (int i = 1; i <= 3; ++i) {
    auto c = json::parse(events[i].data);
    EXPECT_EQ(c["id"], first["id"]);
    EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
    text += c["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, "Ports are set with PORT.");
  auto last = json::parse(events[4].data);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(last["choices"][0]["delta"], json::object());
  for (const auto& e : events) EXPECT_TRUE(e.event.empty());
}

TEST_F(OpenAiHandlerTest, UpstreamErrorsUseTheOpenAiShape) {
  model_->error = Error{ErrorCode::kRateLimited, "secret upstream text", 3};
  Call call(http::Verb::post, "/v1/chat/completions", body(false));
  auto res = call.run(openai_chat_completions_handler(*pipeline_, {}));
  EXPECT_EQ(res.result_int(), 429u);
  EXPECT_EQ(res["Retry-After"], "3");
  auto j = testing::body_json(res);
  EXPECT_EQ(j["error"]["message"], "Rate limit exceeded. Please try again in a moment.");
  EXPECT_EQ(j["error"]["code"], "rate_limit_exceeded");
  EXPECT_EQ(res.body().find("secret"), std::string::npos);

  Call streamed(http::Verb::post, "/v1/chat/completions", body(true));
  streamed.run(openai_chat_completions_handler(*pipeline_, {}));
  auto events = testing::parse_sse(streamed.writer.text());
  ASSERT_GE(events.size(), 2u);
  EXPECT_TRUE(json::parse(events[events.size() - 2].data).contains("error"));
  EXPECT_EQ(events.back().data, "[DONE]");
}

TEST_F(OpenAiHandlerTest, ModelsListsOneModel) {
  Call call(http::Verb::get, "/v1/models");
  OpenAiApiOptions options;
  options.model_id = "rag-x";
  auto j = testing::body_json(call.run(openai_models_handler(options)));
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "rag-x");
  EXPECT_EQ(j["data"][0]["object"], "model");
}

}  // namespace
}  // namespace rag::api
