#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "http/middleware.hpp"
#include "http/router.hpp"

namespace rag::http {
namespace {

namespace asio = boost::asio;

Response run(const Router& router, Verb method, std::string target, RequestContext** out = nullptr) {
  asio::io_context ioc;
  Request req{method, target, 11};
  RequestContext ctx(req, "127.0.0.1");
  auto fut = asio::co_spawn(ioc, router.dispatch(ctx), asio::use_future);
  ioc.run();
  return fut.get();
}

Handler echo_param(std::string name) {
  return [name](RequestContext& ctx) -> asio::awaitable<Response> {
    co_return json_response(Status::ok, ctx.route + "|" + ctx.params[name]);
  };
}

TEST(Router, BindsPathParameters) {
  Router router;
  router.add(Verb::get, "/sessions/{id}/history", echo_param("id"));
  auto res = run(router, Verb::get, "/sessions/abc-1/history?x=1");
  EXPECT_EQ(res.result(), Status::ok);
  EXPECT_EQ(res.body(), "/sessions/{id}/history|abc-1");
}

TEST(Router, UnknownPathIsJson404) {
  Router router;
  router.add(Verb::get, "/", echo_param("x"));
  auto res = run(router, Verb::get, "/nope");
  EXPECT_EQ(res.result(), Status::not_found);
  EXPECT_EQ(res.body(), R"({"detail":"Not Found"})");
  EXPECT_EQ(res[boost::beast::http::field::content_type], "application/json; charset=utf-8");
}

TEST(Router, WrongMethodIsJson405WithAllow) {
  Router router;
  router.add(Verb::get, "/", echo_param("x"));
  router.add(Verb::delete_, "/", echo_param("x"));
  auto res = run(router, Verb::post, "/");
  EXPECT_EQ(res.result(), Status::method_not_allowed);
  EXPECT_EQ(res.body(), R"({"detail":"Method Not Allowed"})");
  EXPECT_EQ(res[boost::beast::http::field::allow], "GET, DELETE");
}

TEST(Router, HeadIsServedByGet) {
  Router router;
  router.add(Verb::get, "/", echo_param("x"));
  EXPECT_EQ(run(router, Verb::head, "/").result(), Status::ok);
}

TEST(Router, EmptyParameterDoesNotMatch) {
  Router router;
  router.add(Verb::delete_, "/sessions/{id}", echo_param("id"));
  EXPECT_EQ(run(router, Verb::delete_, "/sessions/").result(), Status::not_found);
}

TEST(RequestId, AcceptsOnlySaneIds) {
  EXPECT_TRUE(is_sane_request_id("abc-123_X.y:z"));
  EXPECT_FALSE(is_sane_request_id(""));
  EXPECT_FALSE(is_sane_request_id("a b"));
  EXPECT_FALSE(is_sane_request_id("a\r\nSet-Cookie: x"));
  EXPECT_FALSE(is_sane_request_id(std::string(129, 'a')));
  EXPECT_EQ(generate_request_id().size(), 32u);
  EXPECT_NE(generate_request_id(), generate_request_id());
}

TEST(RequestContext, ReadsQueryParameters) {
  Request req{Verb::get, "/x?a=1&name=hello%20world&b", 11};
  RequestContext ctx(req, "");
  EXPECT_EQ(ctx.path(), "/x");
  EXPECT_EQ(ctx.query_param("name"), "hello world");
  EXPECT_EQ(ctx.query_param("a"), "1");
  EXPECT_EQ(ctx.query_param("missing"), "");
}

}  // namespace
}  // namespace rag::http
