// Test-only routes, compiled into `rag-server-test` and never into `rag-server`:
//   GET  /_test/slow?ms=N  answers after N ms (a timer, no thread held);
//   GET  /_test/hold       answers once POST /_test/release is called (tests order events
//                          explicitly instead of racing a clock);
//   POST /_test/release    releases every held request; {"released": N}.
// Each logs when it starts, so tests can tell a request is in flight.
#include <utility>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <vector>

#include "cli/commands.hpp"
#include "http/router.hpp"

namespace {

namespace asio = boost::asio;
using rag::http::RequestContext;
using rag::http::Response;

asio::awaitable<Response> slow(RequestContext& ctx) {
  long ms = 0;
  try {
    ms = std::stol(ctx.query_param("ms"));
  } catch (...) {
  }
  spdlog::info("test route: slow request started ({} ms)", ms);
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return rag::http::json_response(rag::http::Status::ok,
                                     "{\"slept_ms\":" + std::to_string(ms) + "}");
}

// Held requests wait on a timer that never expires by itself; release cancels them all.
struct Gate {
  std::mutex mutex;
  std::vector<std::weak_ptr<asio::steady_timer>> held;
};
Gate& gate() {
  static Gate g;
  return g;
}

asio::awaitable<Response> hold(RequestContext&) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                    asio::steady_timer::time_point::max());
  {
    std::lock_guard lock(gate().mutex);
    gate().held.push_back(timer);
  }
  spdlog::info("test route: held request waiting");
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return rag::http::json_response(rag::http::Status::ok, R"({"held":true})");
}

asio::awaitable<Response> release(RequestContext&) {
  std::vector<std::weak_ptr<asio::steady_timer>> held;
  {
    std::lock_guard lock(gate().mutex);
    held.swap(gate().held);
  }
  int released = 0;
  for (auto& weak : held) {
    if (auto timer = weak.lock()) {
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
      ++released;
    }
  }
  co_return rag::http::json_response(rag::http::Status::ok,
                                     "{\"released\":" + std::to_string(released) + "}");
}

void add_test_routes(rag::http::Router& router) {
  router.add(rag::http::Verb::get, "/_test/slow", slow);
  router.add(rag::http::Verb::get, "/_test/hold", hold);
  router.add(rag::http::Verb::post, "/_test/release", release);
}

}  // namespace

int main(int argc, char** argv) {
  return rag::cli::run(argc, argv, {add_test_routes, {"/_test/release"}});
}
