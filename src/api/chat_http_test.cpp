// The conversation handlers behind the real http::Server and Router on a loopback port: JSON
// and SSE over the wire (chunked), routing of /sessions/{id}, and a client that disconnects
// cancelling the upstream call through the connection's watch. Registers the routes exactly as
// cli/serve should.
#include <utility>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "api/chat_handler.hpp"
#include "api/testing/handler_call.hpp"
#include "api/openai_handler.hpp"
#include "api/sessions_api.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "chat/testing/chat_fakes.hpp"

namespace rag::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using nlohmann::json;

constexpr const char* kQuestion = "How do I change the port the server listens on?";

// Waits (bounded) until `done()` holds.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class ChatHttpTest : public chat::testing::PipelineFixture {
 protected:
  ChatHttpTest() {
    make_pipeline();
    using http::Verb;
    router_.add(Verb::post, "/chat", chat_handler(*pipeline_, {}));
    router_.add(Verb::get, "/sessions/{id}/history", session_history_handler(*store_));
    router_.add(Verb::delete_, "/sessions/{id}", session_delete_handler(*store_));
    router_.add(Verb::post, "/v1/chat/completions", openai_chat_completions_handler(*pipeline_, {}));
    router_.add(Verb::get, "/v1/models", openai_models_handler({}));
    router_.add(Verb::get, "/boom/{id}",
                [](http::RequestContext&) -> asio::awaitable<http::Response> {
                  throw std::runtime_error("the handler broke: boom 42");
                  co_return http::Response{};
                });
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<http::Server>(
        std::vector<asio::io_context*>{&ioc_}, options, [this](http::RequestContext& ctx) { return router_.dispatch(ctx); },
        nullptr);
    auto port = server_->listen();
    if (!port) throw std::runtime_error(port.error().message);
    port_ = *port;
    server_->start();
    // The server's contexts are each run by exactly one thread (http/server.hpp).
    threads_.emplace_back([this] { ioc_.run(); });
  }
  ~ChatHttpTest() override {
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }

  http::Response send(http::Verb verb, const std::string& target, const std::string& body = "") {
    asio::io_context client;
    beast::tcp_stream stream(client);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    http::Request req{verb, target, 11};
    req.set(beast::http::field::host, "localhost");
    req.set(beast::http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    beast::http::write(stream, req);
    beast::flat_buffer buffer;
    http::Response res;
    beast::http::read(stream, buffer, res);
    return res;
  }

  http::Router router_;
  asio::io_context ioc_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

TEST_F(ChatHttpTest, JsonAnswerThenHistoryThroughTheRouter) {
  auto res = send(http::Verb::post, "/chat",
                  json{{"message", kQuestion}, {"session_id", "h1"}}.dump());
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(json::parse(res.body())["response"], "Ports are set with PORT.");
  auto history = json::parse(send(http::Verb::get, "/sessions/h1/history").body());
  EXPECT_EQ(history["history"].size(), 2u);
  auto deleted = json::parse(send(http::Verb::delete_, "/sessions/h1").body());
  EXPECT_EQ(deleted["message"], "Session h1 cleared");
}

TEST_F(ChatHttpTest, HandlerExceptionIsLoggedWithItsRouteAndAnswered500) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  auto res = send(http::Verb::get, "/boom/secret-session?key=hidden");
  spdlog::set_default_logger(previous);
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_EQ(json::parse(res.body())["detail"], "Internal Server Error");
  logger->flush();
  EXPECT_NE(log.str().find("GET /boom/{id} threw"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("the handler broke: boom 42"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("hidden"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("secret-session"), std::string::npos) << log.str();
}

TEST_F(ChatHttpTest, StreamIsChunkedSseInOrder) {
  auto res = send(http::Verb::post, "/chat",
                  json{{"message", kQuestion}, {"stream", true}}.dump());
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[beast::http::field::content_type], "text/event-stream; charset=utf-8");
  EXPECT_EQ(res[beast::http::field::cache_control], "no-cache");
  auto events = testing::parse_sse(res.body());
  ASSERT_EQ(events.size(), 5u) << res.body();
  EXPECT_EQ(events[0].event, "sources");
  EXPECT_EQ(events[1].event, "token");
  EXPECT_EQ(events[4].event, "done");
  EXPECT_EQ(json::parse(events[4].data)["response"], "Ports are set with PORT.");
}

TEST_F(ChatHttpTest, OpenAiStreamEndsWithDone) {
  auto res = send(http::Verb::post, "/v1/chat/completions",
                  json{{"stream", true},
                       {"messages", {{{"role", "user"}, {"content", kQuestion}}}}}
                      .dump());
  ASSERT_EQ(res.result_int(), 200u);
  auto events = testing::parse_sse(res.body());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().data, "[DONE]");
  EXPECT_EQ(json::parse(send(http::Verb::get, "/v1/models").body())["data"][0]["id"],
            "rag-server");
}

TEST_F(ChatHttpTest, ClientDisconnectCancelsTheUpstreamCall) {
  model_->hang = true;
  for (bool stream : {false, true}) {
    model_->saw_cancel = false;
    const int calls_before = model_->calls.load();
    {
      asio::io_context client;
      beast::tcp_stream s(client);
      s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
      http::Request req{http::Verb::post, "/chat", 11};
      req.set(beast::http::field::content_type, "application/json");
      req.body() = json{{"message", kQuestion}, {"stream", stream}}.dump();
      req.prepare_payload();
      beast::http::write(s, req);
      ASSERT_TRUE(eventually([&] { return model_->calls.load() > calls_before; }));
    }  // the client goes away while the model is still thinking
    EXPECT_TRUE(eventually([&] { return model_->saw_cancel.load(); })) << "stream=" << stream;
  }
}

}  // namespace
}  // namespace rag::api
