// A chat whose retrieval fails (no index loaded) is an error on every face of the API: 503 with
// Retry-After in JSON, an `error` event with status 503 in streams, OpenAI's shape on /v1.
// Never the 200 refusal, which means "searched and found nothing relevant".
#include <gtest/gtest.h>

#include "api/chat_handler.hpp"
#include "api/testing/handler_call.hpp"
#include "api/openai_handler.hpp"
#include "chat/testing/chat_fakes.hpp"

namespace rag::api {
namespace {

using nlohmann::json;

// A question about the documents; with no index loaded there is nothing to search it in.
constexpr const char* kPortQuestion = "Which port does the server listen on?";

class ChatWithoutIndexTest : public ::testing::Test {
 protected:
  std::string chat_body(bool stream) const {
    return json{{"message", kPortQuestion}, {"session_id", "s"}, {"stream", stream}}.dump();
  }
  std::string openai_body(bool stream) const {
    return json{{"stream", stream}, {"messages", {{{"role", "user"}, {"content", kPortQuestion}}}}}
        .dump();
  }

  // The index never loaded: the opener was never called.
  std::shared_ptr<retrieval::testing::FakeIndexState> state_ =
      std::make_shared<retrieval::testing::FakeIndexState>();
  retrieval::LiveIndex live_{retrieval::testing::fake_opener(state_), {}};
  retrieval::Searcher searcher_{live_, nullptr, nullptr};
  std::shared_ptr<chat::testing::FakeChatModel> model_ =
      std::make_shared<chat::testing::FakeChatModel>();
  std::shared_ptr<chat::testing::FakeSessionStore> store_ =
      std::make_shared<chat::testing::FakeSessionStore>();
  std::shared_ptr<chat::Pipeline> pipeline_ =
      std::make_shared<chat::Pipeline>(searcher_, model_.get(),
                                                 *store_, chat::PipelineOptions{});
};

TEST_F(ChatWithoutIndexTest, ChatIs503WithRetryAfterNotTheRefusal) {
  testing::Call call(http::Verb::post, "/chat", chat_body(false));
  auto res = call.run(chat_handler(*pipeline_, {}));
  EXPECT_EQ(res.result_int(), 503u) << res.body();
  EXPECT_EQ(res["Retry-After"], "5");
  EXPECT_EQ(testing::body_json(res), json::parse(R"({"detail": "Index not loaded"})"));
  EXPECT_EQ(model_->calls.load(), 0);
  EXPECT_TRUE(store_->peek("s").empty());
}

TEST_F(ChatWithoutIndexTest, StreamedChatEndsWithA503ErrorEvent) {
  testing::Call call(http::Verb::post, "/chat", chat_body(true));
  call.run(chat_handler(*pipeline_, {}));
  auto events = testing::parse_sse(call.writer.text());
  ASSERT_EQ(events.size(), 1u) << call.writer.text();
  EXPECT_EQ(events[0].event, "error");
  EXPECT_EQ(json::parse(events[0].data),
            json::parse(R"({"detail": "Index not loaded", "status": 503})"));
}

TEST_F(ChatWithoutIndexTest, OpenAiFaceIs503InItsShapeJsonAndStreamed) {
  testing::Call call(http::Verb::post, "/v1/chat/completions", openai_body(false));
  auto res = call.run(openai_chat_completions_handler(*pipeline_, {}));
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(res["Retry-After"], "5");
  EXPECT_EQ(testing::body_json(res)["error"]["message"], "Index not loaded");
  EXPECT_EQ(testing::body_json(res)["error"]["type"], "server_error");

  testing::Call streamed(http::Verb::post, "/v1/chat/completions", openai_body(true));
  streamed.run(openai_chat_completions_handler(*pipeline_, {}));
  auto events = testing::parse_sse(streamed.writer.text());
  ASSERT_EQ(events.size(), 2u) << streamed.writer.text();
  EXPECT_EQ(json::parse(events[0].data)["error"]["message"], "Index not loaded");
  EXPECT_EQ(events[1].data, "[DONE]");
  EXPECT_EQ(model_->calls.load(), 0);
}

}  // namespace
}  // namespace rag::api
