#include "http/load_shedding.hpp"

#include <boost/beast/http/field.hpp>

namespace rag::http {

Around LoadShedder::middleware() {
  auto applies = [this](const RequestContext& ctx) {
    const auto path = ctx.path();
    for (const auto& admitted : always_admit_)
      if (path == admitted) return false;
    return true;
  };
  auto step = [this](RequestContext& ctx, const Handler& next) -> boost::asio::awaitable<Response> {
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
  return {std::move(step), std::move(applies)};
}

}  // namespace rag::http
