#include "http/load_shedding.hpp"

#include <boost/beast/http/field.hpp>

namespace rag::http {

Middleware LoadShedder::middleware() {
  return [this](RequestContext& ctx, const Handler& next) -> boost::asio::awaitable<Response> {
    const auto path = ctx.path();
    for (const auto& admitted : always_admit_)
      if (path == admitted) co_return co_await next(ctx);
    if (in_flight_.fetch_add(1) >= max_) {
      in_flight_.fetch_sub(1);
      shed_.fetch_add(1);
      ctx.route = "shed";
      auto res = error_response(Status::service_unavailable,
                                "Server is at capacity. Please retry shortly.",
                                ctx.request.version());
      res.set(boost::beast::http::field::retry_after, "1");
      co_return res;
    }
    struct Release {
      std::atomic<std::size_t>& n;
      ~Release() { n.fetch_sub(1); }
    } release{in_flight_};
    co_return co_await next(ctx);
  };
}

}  // namespace rag::http
