#include "api/sse.hpp"

#include <gtest/gtest.h>

#include "api/testing/handler_call.hpp"

namespace rag::api {
namespace {

namespace asio = boost::asio;

TEST(Sse, EventFraming) {
  EXPECT_EQ(sse_event("token", R"({"delta":"a"})"), "event: token\ndata: {\"delta\":\"a\"}\n\n");
  EXPECT_EQ(sse_event("", "x"), "data: x\n\n");
  EXPECT_EQ(sse_event("e", "a\nb\r\nc"), "event: e\ndata: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(sse_comment("ping"), ": ping\n\n");
}

TEST(Sse, HeadDisablesCachingAndProxyBuffering) {
  auto head = sse_head();
  EXPECT_EQ(head.result_int(), 200u);
  EXPECT_EQ(head["Content-Type"], "text/event-stream; charset=utf-8");
  EXPECT_EQ(head["Cache-Control"], "no-cache");
  EXPECT_EQ(head["X-Accel-Buffering"], "no");
}

TEST(Sse, ChannelWriteFailureCancelsTheRequest) {
  testing::RecordingWriter writer;
  writer.fail_from_write = 1;
  auto cancel = make_cancel_token();
  asio::io_context ioc;
  bool first = false, second = true, third = true;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        SseChannel channel(writer, cancel);
        co_await channel.start(sse_head());
        first = co_await channel.send("a");
        second = co_await channel.send("b");
        third = co_await channel.send("c");
        co_await channel.finish();
      },
      asio::detached);
  ioc.run();
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_FALSE(third);
  EXPECT_TRUE(cancel->cancelled());
  EXPECT_EQ(writer.writes.size(), 2u);
  EXPECT_FALSE(writer.finished);
}

}  // namespace
}  // namespace rag::api
