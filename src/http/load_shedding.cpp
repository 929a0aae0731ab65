#include "http/load_shedding.hpp"

#include <boost/beast/http/field.hpp>

#include "observability/telemetry.hpp"

namespace rag::http {

// An inline step, not a coroutine around the rest of the chain: it takes a slot, and the
// request context gives it back when the request is over (RequestContext::defer).
Around LoadShedder::middleware() {
  auto applies = [this](const RequestContext& ctx) {
    const auto path = ctx.path();
    for (const auto& admitted : always_admit_)
      if (path == admitted) return false;
    return true;
  };
  auto step = [this](RequestContext& ctx) -> std::optional<Response> {
    if (in_flight_.fetch_add(1) >= max_) {
      in_flight_.fetch_sub(1);
      shed_.fetch_add(1);
      ctx.route = "shed";
      std::string body = refusal_body_ ? refusal_body_(ctx.path()) : std::string();
      auto res =
          body.empty()
              ? error_response(Status::service_unavailable, kShedMessage, ctx.request.version())
              : json_response(Status::service_unavailable, std::move(body), ctx.request.version());
      res.set(boost::beast::http::field::retry_after, "1");
      return res;
    }
    ctx.defer([](void* self) { static_cast<LoadShedder*>(self)->in_flight_.fetch_sub(1); }, this);
    return std::nullopt;
  };
  return {nullptr, std::move(applies), std::move(step)};
}

void LoadShedder::publish(observability::Telemetry& telemetry) const {
  telemetry.metrics.callback("rag_http_requests_in_flight", "Requests being handled now.", "gauge",
                             {}, [this] { return static_cast<double>(in_flight()); });
  telemetry.metrics.callback("rag_http_requests_shed_total",
                             "Requests refused with 503 at capacity.", "counter", {},
                             [this] { return static_cast<double>(shed()); });
  telemetry.readiness.add({"load",
                           [this]() -> std::optional<std::string> {
                             if (saturated()) return "shedding load (at capacity)";
                             return std::nullopt;
                           },
                           nullptr});
}

}  // namespace rag::http
