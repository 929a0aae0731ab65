#include "api/search_handler.hpp"

#include <boost/beast/http/field.hpp>
#include <spdlog/spdlog.h>

#include "api/search_api.hpp"
#include "api/timing.hpp"
#include "common/timestamp.hpp"
#include "http/server_timing.hpp"
#include "observability/logging.hpp"
#include "observability/metrics.hpp"
#include "retrieval/searcher.hpp"

namespace rag::api {

http::Handler search_handler(const retrieval::Searcher& searcher,
                             InputLimits limits) {
  auto* latency = &observability::Registry::global().histogram(
      "rag_search_duration_seconds", "Retrieval latency (query embedding included).", {});
  return [&searcher, latency,
          limits](http::RequestContext& ctx) -> boost::asio::awaitable<http::Response> {
    const auto version = ctx.request.version();
    auto request = parse_search_request(ctx.request.body(), ctx.header("Content-Type"), limits);
    if (!request)
      co_return http::json_response(http::Status::unprocessable_entity, request.error().body(),
                                    version);
    const auto started = std::chrono::steady_clock::now();
    retrieval::SearchTiming timing;
    auto hits = co_await searcher.search(request->query, request->k, ctx.cancel, &timing);
    latency->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!hits) {
      // None loaded yet, or the one loaded found damaged as it was read (and being reloaded).
      if (hits.error().code == ErrorCode::kUnavailable ||
          hits.error().code == ErrorCode::kIndexUnavailable) {
        auto res = http::error_response(http::Status::service_unavailable, "Index not loaded",
                                        version);
        res.set(boost::beast::http::field::retry_after, "5");
        co_return res;
      }
      spdlog::error("Search failed (request {}): {}", ctx.request_id,
                    observability::redact(hits.error().message));
      co_return http::error_response(http::Status::internal_server_error, "Search failed",
                                     version);
    }
    record_search_timings(ctx, timing);
    auto res = http::json_response(
        http::Status::ok, search_response_body(*hits, request->query, iso_timestamp()), version);
    http::set_server_timing(res, ctx);
    co_return res;
  };
}

}  // namespace rag::api
