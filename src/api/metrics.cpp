#include "api/metrics.hpp"

#include <boost/beast/http/field.hpp>

#include "observability/metrics.hpp"

namespace rag::api {

http::Handler metrics(std::function<boost::asio::awaitable<void>()> refresh) {
  return [refresh](http::RequestContext& ctx) -> boost::asio::awaitable<http::Response> {
    if (refresh) co_await refresh();
    http::Response res{http::Status::ok, ctx.request.version()};
    res.set(boost::beast::http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = observability::Registry::global().render();
    res.prepare_payload();
    co_return res;
  };
}

}  // namespace rag::api
