// render_head (the response head written without Beast's serializer), the per-connection
// RequestContext's reset/defer, and a chain whose steps run inline.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/field.hpp>

#include "http/load_shedding.hpp"
#include "http/middleware.hpp"
#include "http/response_head.hpp"

namespace rag::http {
namespace {

namespace asio = boost::asio;
using boost::beast::http::field;

TEST(RenderHead, ResponseFieldsThenContextHeadersTheResponseDoesNotSet) {
  Request req{Verb::get, "/", 11};
  RequestContext ctx(req, "127.0.0.1");
  ctx.request_id = "abc";
  ctx.header_views.emplace_back("X-Request-Id", ctx.request_id);
  ctx.header_views.emplace_back("Cache-Control", "no-store");
  ctx.header_views.emplace_back("x-request-id", "second");  // an earlier one of the name wins
  ctx.response_headers.emplace_back("X-RateLimit-Limit", "60");
  ctx.response_headers.emplace_back("cache-control", "private");  // set by a view already
  auto res = json_response(Status::ok, "{}");
  res.set(field::cache_control, "max-age=5");  // the handler's own wins
  std::string out;
  const auto info = render_head(res, ctx, out);
  EXPECT_FALSE(info.chunked);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            "Content-Length: 2\r\n"
            "Cache-Control: max-age=5\r\n"
            "X-Request-Id: abc\r\n"
            "X-RateLimit-Limit: 60\r\n"
            "\r\n");
}

TEST(RenderHead, AddsContentLengthWhenMissingAndReportsChunked) {
  Request req{Verb::get, "/", 10};
  RequestContext ctx(req, "");
  Response res{Status::not_found, 10};
  res.body() = "abc";
  std::string out;
  render_head(res, ctx, out);
  EXPECT_EQ(out, "HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\n");

  Response chunked{Status::ok, 11};
  chunked.chunked(true);
  out.clear();
  EXPECT_TRUE(render_head(chunked, ctx, out).chunked);
}

TEST(RequestContext, ResetRunsDeferredLastFirstAndClearsPerRequestFields) {
  Request req{Verb::get, "/", 11};
  RequestContext ctx(req, "10.0.0.1");
  std::vector<int> order;
  auto push = [](void* p) { static_cast<std::vector<int>*>(p)->push_back(1); };
  auto push2 = [](void* p) { static_cast<std::vector<int>*>(p)->push_back(2); };
  for (int i = 0; i < 3; ++i) ctx.defer(push, &order);
  for (int i = 0; i < 3; ++i) ctx.defer(push2, &order);  // past the inline four
  ctx.request_id = "x";
  ctx.route = "/";
  ctx.params["id"] = "1";
  ctx.header_views.emplace_back("A", "b");
  ctx.streamed = true;
  ctx.reset();
  EXPECT_EQ(order, (std::vector<int>{2, 2, 2, 1, 1, 1}));
  EXPECT_TRUE(ctx.request_id.empty() && ctx.route.empty() && ctx.params.empty());
  EXPECT_TRUE(ctx.header_views.empty() && !ctx.streamed);
  EXPECT_EQ(ctx.peer_ip, "10.0.0.1");
  ctx.run_deferred();  // nothing left
  EXPECT_EQ(order.size(), 6u);
}

Response run(const Handler& handler, RequestContext& ctx) {
  asio::io_context ioc;
  auto fut = asio::co_spawn(ioc, handler(ctx), asio::use_future);
  ioc.run();
  return fut.get();
}

TEST(Chain, InlineLoadShedderHoldsItsSlotUntilTheRequestIsOver) {
  LoadShedder shedder(1, {"/healthz"});
  std::size_t seen_in_flight = 0;
  auto handler = chain({request_id(), security_headers()}, {shedder.middleware()},
                       [&](RequestContext&) -> asio::awaitable<Response> {
                         seen_in_flight = shedder.in_flight();
                         co_return json_response(Status::ok, "{}");
                       });
  Request req{Verb::get, "/", 11};
  {
    RequestContext ctx(req, "127.0.0.1");
    EXPECT_EQ(run(handler, ctx).result(), Status::ok);
    EXPECT_EQ(seen_in_flight, 1u);
    EXPECT_EQ(shedder.in_flight(), 1u);  // held until the context is reset or destroyed
    EXPECT_EQ(ctx.request_id.size(), 32u);
    EXPECT_EQ(ctx.header_views.size(), 5u);  // X-Request-Id + four security headers

    RequestContext second(req, "127.0.0.1");  // the bound is 1: shed
    const auto res = run(handler, second);
    EXPECT_EQ(res.result(), Status::service_unavailable);
    EXPECT_EQ(res[field::retry_after], "1");
    EXPECT_EQ(shedder.shed(), 1u);
  }
  EXPECT_EQ(shedder.in_flight(), 0u);
}

TEST(Chain, ShedRequestsGetTheRefusalBodyOfTheirPath) {
  LoadShedder shedder(0, {}, [](std::string_view path) {
    return path.starts_with("/v1/") ? std::string(R"({"error":{"message":"full"}})") : "";
  });
  auto handler = chain({}, {shedder.middleware()}, [](RequestContext&) -> asio::awaitable<Response> {
    co_return json_response(Status::ok, "{}");
  });
  for (const auto& [target, body] :
       {std::pair{"/v1/models", R"({"error":{"message":"full"}})"},
        std::pair{"/search", R"({"detail":"Server is at capacity. Please retry shortly."})"}}) {
    Request req{Verb::get, target, 11};
    RequestContext ctx(req, "127.0.0.1");
    const auto res = run(handler, ctx);
    EXPECT_EQ(res.result(), Status::service_unavailable) << target;
    EXPECT_EQ(res.body(), body) << target;
    EXPECT_EQ(res[field::retry_after], "1");
  }
  EXPECT_EQ(shedder.shed(), 2u);
}

}  // namespace
}  // namespace rag::http
