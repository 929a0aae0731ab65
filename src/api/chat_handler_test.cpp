// POST /chat through its handler with a hand-built RequestContext: shapes, validation, SSE
// order and equality with the JSON answer, pings, error mapping, and cancellation.
#include "api/chat_handler.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <regex>

#include "api/testing/handler_call.hpp"
#include "chat/testing/chat_fakes.hpp"

namespace rag::api {
namespace {

using nlohmann::json;
using testing::Call;
using testing::parse_sse;

constexpr const char* kQuestion = "How do I change the port the server listens on?";

class ChatHandlerTest : public chat::testing::PipelineFixture {
 protected:
  http::Handler handler(bool with_model = true, ChatApiOptions options = {}) {
    return chat_handler(make_pipeline(with_model), options);
  }
  static std::string body(const std::string& message, const std::string& extra = "") {
    return json{{"message", message}}.dump().insert(1, extra.empty() ? "" : extra + ",");
  }
};

TEST_F(ChatHandlerTest, AnswersWithTheCompatibleShapeAndANewSessionId) {
  auto h = handler();
  Call call(http::Verb::post, "/chat", body(kQuestion));
  auto res = call.run(h);
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(res["Content-Type"], "application/json; charset=utf-8");
  EXPECT_TRUE(call.watched);
  auto j = testing::body_json(res);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"response", "session_id", "sources", "timestamp"}));
  EXPECT_EQ(j["response"], "Ports are set with PORT.");
  const std::string id = j["session_id"];
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(std::regex_match(j["timestamp"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})")));
  ASSERT_FALSE(j["sources"].empty());
  const auto& s = j["sources"][0];
  EXPECT_EQ(s["url"], "/config");
  EXPECT_EQ(s["title"], "Configuration");
  EXPECT_EQ(s["content_preview"], s["content_full"]);  // short passage: no "..."
  EXPECT_TRUE(s["similarity_score"].is_number());
  EXPECT_EQ(store_->peek(id).size(), 2u);

  Call second(http::Verb::post, "/chat", body(kQuestion));
  EXPECT_NE(testing::body_json(second.run(h))["session_id"], id);  // never a shared default
}

TEST_F(ChatHandlerTest, KeepsAGivenSessionAndReplacesItsHistory) {
  auto h = handler();
  Call first(http::Verb::post, "/chat", body(kQuestion, R"("session_id": "keep-1")"));
  ASSERT_EQ(first.run(h).result_int(), 200u);
  Call second(http::Verb::post, "/chat",
              body(kQuestion, R"("session_id": "keep-1",
                   "history": [{"role": "user", "content": "x"},
                               {"role": "assistant", "content": "y"}])"));
  auto j = testing::body_json(second.run(h));
  EXPECT_EQ(j["session_id"], "keep-1");
  const auto history = store_->peek("keep-1");
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].content, "x");
  EXPECT_EQ(history[1].content, "y");
}

TEST_F(ChatHandlerTest, InvalidBodiesAre422WithoutUpstream) {
  auto h = handler();
  Call missing(http::Verb::post, "/chat", R"({"history": []})");
  auto res = missing.run(h);
  EXPECT_EQ(res.result_int(), 422u);
  EXPECT_EQ(testing::body_json(res)["detail"][0]["loc"], json::parse(R"(["body", "message"])"));
  Call long_message(http::Verb::post, "/chat", body(std::string(8001, 'a')));
  EXPECT_EQ(long_message.run(h).result_int(), 422u);
  Call bad_id(http::Verb::post, "/chat", body("hi", R"("session_id": "no spaces")"));
  EXPECT_EQ(bad_id.run(h).result_int(), 422u);
  Call bad_json(http::Verb::post, "/chat", "{nope");
  EXPECT_EQ(bad_json.run(h).result_int(), 422u);
  EXPECT_EQ(model_->calls.load(), 0);
}

TEST_F(ChatHandlerTest, EmptyMessageGetsTheRefusal) {
  auto h = handler();
  Call call(http::Verb::post, "/chat", body(""));
  auto res = call.run(h);
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(testing::body_json(res)["response"], std::string(chat::kDefaultRefusal));
  EXPECT_EQ(testing::body_json(res)["sources"], json::array());
  EXPECT_EQ(model_->calls.load(), 0);
}

TEST_F(ChatHandlerTest, ExtractiveModeIsMarked) {
  auto h = handler(false);
  Call call(http::Verb::post, "/chat", body(kQuestion));
  auto j = testing::body_json(call.run(h));
  EXPECT_EQ(j["mode"], "extractive");
  EXPECT_NE(j["response"].get<std::string>().find("[1]"), std::string::npos);
}

TEST_F(ChatHandlerTest, StreamsSourcesTokensThenDoneEqualToTheJsonAnswer) {
  auto h = handler();
  Call plain(http::Verb::post, "/chat", body(kQuestion, R"("session_id": "p")"));
  auto plain_json = testing::body_json(plain.run(h));

  Call call(http::Verb::post, "/chat", body(kQuestion, R"("session_id": "p2", "stream": true)"));
  call.run(h);
  ASSERT_TRUE(call.writer.started);
  EXPECT_TRUE(call.writer.finished);
  EXPECT_EQ(call.writer.head["Content-Type"], "text/event-stream; charset=utf-8");
  EXPECT_EQ(call.writer.head["Cache-Control"], "no-cache");
  EXPECT_EQ(call.writer.head["X-Accel-Buffering"], "no");
  auto events = parse_sse(call.writer.text());
  ASSERT_EQ(events.size(), 5u) << call.writer.text();
  EXPECT_EQ(events[0].event, "sources");
  std::string concatenated;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(events[i].event, "token");
    concatenated += json::parse(events[i].data)["delta"].get<std::string>();
  }
  EXPECT_EQ(events[4].event, "done");
  auto done = json::parse(events[4].data);
  EXPECT_EQ(done["response"], concatenated);
  EXPECT_EQ(done["response"], plain_json["response"]);
  EXPECT_EQ(done["sources"], plain_json["sources"]);
  // The sources event comes before the answer: the same sources, without `cited` yet.
  auto before = plain_json["sources"];
  for (auto& source : before) source.erase("cited");
  EXPECT_EQ(json::parse(events[0].data), before);
  EXPECT_EQ(done["session_id"], "p2");
  for (const char* key : {"response", "session_id", "timestamp", "sources"})
    EXPECT_TRUE(done.contains(key));
  EXPECT_EQ(store_->peek("p2").size(), 2u);
}

TEST_F(ChatHandlerTest, AcceptHeaderAlsoStreams) {
  auto h = handler();
  Call call(http::Verb::post, "/chat", body(kQuestion), {{"Accept", "text/event-stream"}});
  call.run(h);
  ASSERT_TRUE(call.writer.started);
  EXPECT_EQ(parse_sse(call.writer.text()).back().event, "done");
}

TEST_F(ChatHandlerTest, UpstreamErrorsAreMappedInJsonAndInStreams) {
  auto h = handler();
  model_->error = Error{ErrorCode::kUpstream, "500 from https://api.example.com key=sk-x", 0};
  Call call(http::Verb::post, "/chat", body(kQuestion));
  auto res = call.run(h);
  EXPECT_EQ(res.result_int(), 502u);
  EXPECT_EQ(testing::body_json(res), json::parse(R"({"detail": "Upstream model error"})"));

  model_->error = Error{ErrorCode::kRateLimited, "429", 4};
  Call limited(http::Verb::post, "/chat", body(kQuestion));
  auto r429 = limited.run(h);
  EXPECT_EQ(r429.result_int(), 429u);
  EXPECT_EQ(r429["Retry-After"], "4");

  model_->error = Error{ErrorCode::kTimeout, "deadline", 0};
  Call streamed(http::Verb::post, "/chat", body(kQuestion, R"("stream": true)"));
  streamed.run(h);
  auto events = parse_sse(streamed.writer.text());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "sources");
  EXPECT_EQ(events[1].event, "error");
  EXPECT_EQ(json::parse(events[1].data),
            json::parse(R"({"detail": "Request timed out. Please try again.", "status": 504})"));
  EXPECT_TRUE(streamed.writer.finished);
}

TEST_F(ChatHandlerTest, FailureAfterTheFirstTokenEndsWithAnErrorEventAndStoresNothing) {
  auto h = handler();
  model_->error_after_first_delta = Error{ErrorCode::kUpstream, "cut", 0};
  Call call(http::Verb::post, "/chat", body(kQuestion, R"("session_id": "cut", "stream": true)"));
  call.run(h);
  auto events = parse_sse(call.writer.text());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].event, "token");
  EXPECT_EQ(events[2].event, "error");
  EXPECT_TRUE(store_->peek("cut").empty());
}

TEST_F(ChatHandlerTest, DisconnectCancelsTheUpstreamCall) {
  auto h = handler();
  model_->hang = true;
  Call call(http::Verb::post, "/chat", body(kQuestion, R"("session_id": "gone")"));
  // The connection reports the client gone once the handler waits on the model.
  call.on_watch = [&call] {
    boost::asio::post(*call.ioc_, [&call] {
      boost::asio::post(*call.ioc_, [&call] { call.ctx.cancel->cancel(); });
    });
  };
  auto res = call.run(h);
  EXPECT_EQ(res.result_int(), 499u);
  EXPECT_TRUE(model_->saw_cancel.load());
  EXPECT_TRUE(store_->peek("gone").empty());
}

TEST_F(ChatHandlerTest, StreamWriteFailureCancelsTheUpstreamCall) {
  auto h = handler();
  Call call(http::Verb::post, "/chat", body(kQuestion, R"("session_id": "w", "stream": true)"));
  call.writer.fail_from_write = 1;  // sources goes out, the first token does not
  call.run(h);
  EXPECT_TRUE(call.ctx.cancel->cancelled());
  EXPECT_TRUE(model_->saw_cancel.load());
  EXPECT_TRUE(store_->peek("w").empty());
  EXPECT_FALSE(call.writer.finished);
}

TEST_F(ChatHandlerTest, PingsWhileWaitingForTheModel) {
  ChatApiOptions options;
  options.ping_interval = std::chrono::milliseconds(5);
  auto h = handler(true, options);
  model_->hang = true;
  Call call(http::Verb::post, "/chat", body(kQuestion, R"("stream": true)"));
  int pings = 0;
  call.writer.on_write = [&](const std::string& data) {
    if (data == ": ping\n\n" && ++pings == 2) call.ctx.cancel->cancel();
  };
  call.run(h);
  auto events = parse_sse(call.writer.text());
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].event, "sources");
  EXPECT_TRUE(events[1].comment);
  EXPECT_EQ(events[1].data, "ping");
  EXPECT_TRUE(events[2].comment);
  EXPECT_TRUE(model_->saw_cancel.load());
}

}  // namespace
}  // namespace rag::api
