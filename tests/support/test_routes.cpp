// Test-only routes, compiled into `rag-server-test` and never into `rag-server`:
// GET /_test/slow?ms=N answers after N ms (a timer, no thread held), logging when it starts so
// tests can tell the request is in flight.
#include <utility>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "http/router.hpp"

namespace {

namespace asio = boost::asio;

asio::awaitable<rag::http::Response> slow(rag::http::RequestContext& ctx) {
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

void add_test_routes(rag::http::Router& router) {
  router.add(rag::http::Verb::get, "/_test/slow", slow);
}

}  // namespace

int main(int argc, char** argv) { return rag::cli::run(argc, argv, add_test_routes); }
