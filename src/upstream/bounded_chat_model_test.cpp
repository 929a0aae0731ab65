#include <gtest/gtest.h>

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "upstream/bounded_chat_model.hpp"

namespace rag::upstream {
namespace {

namespace asio = boost::asio;

// Answers once released: the test decides when a call ends, not a clock.
class GatedModel final : public ChatModel {
 public:
  explicit GatedModel(asio::io_context& ioc) : gate_(ioc, asio::steady_timer::time_point::max()) {}
  asio::awaitable<Result<ChatAnswer>> complete(const ChatRequest&, CancelToken) override {
    ++started;
    boost::system::error_code ec;
    co_await gate_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return ChatAnswer{"ok", "stop", 0, 0};
  }
  asio::awaitable<Result<ChatAnswer>> stream(const ChatRequest& r, DeltaSink,
                                             CancelToken c) override {
    return complete(r, std::move(c));
  }
  std::string describe() const override { return "gated"; }
  void release() { gate_.cancel(); }
  int started = 0;

 private:
  asio::steady_timer gate_;
};

TEST(BoundedChatModel, RefusesPastTheBoundAndAdmitsAgainOnceCallsEnd) {
  asio::io_context ioc;
  auto owned = std::make_unique<GatedModel>(ioc);
  GatedModel* inner = owned.get();
  BoundedChatModel bounded(std::move(owned), 2);
  std::vector<Result<ChatAnswer>> results;
  auto call = [&]() -> asio::awaitable<void> {
    results.push_back(co_await bounded.complete({}, nullptr));
  };
  for (int i = 0; i < 3; ++i) asio::co_spawn(ioc, call(), asio::detached);
  ioc.poll();  // run until every call waits
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error().code, ErrorCode::kOverloaded);
  EXPECT_EQ(results[0].error().retry_after_s, 1);
  EXPECT_EQ(inner->started, 2);
  EXPECT_EQ(bounded.in_flight(), 2u);
  EXPECT_EQ(bounded.refused(), 1u);

  inner->release();
  ioc.poll();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[1] && results[2]);
  EXPECT_EQ(bounded.in_flight(), 0u);
}

}  // namespace
}  // namespace rag::upstream
