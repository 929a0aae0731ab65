#include "http/cors.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace rag::http {
namespace {

constexpr const char* kAllowMethods = "GET, POST, DELETE";
constexpr const char* kAllowHeaders =
    "Accept, Accept-Language, Authorization, Content-Language, Content-Type";
// Headers a browser client may read: the widget shows rate-limit waits and request ids.
constexpr const char* kExposeHeaders =
    "X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
    "Server-Timing";

bool method_allowed(std::string_view method) {
  return method == "GET" || method == "POST" || method == "DELETE";
}

// Every requested header must be in the allow list (or a CORS-safelisted one).
bool headers_allowed(std::string_view requested) {
  static const std::vector<std::string> allowed = {"accept", "accept-language", "authorization",
                                                   "content-language", "content-type"};
  size_t start = 0;
  while (start < requested.size()) {
    size_t end = requested.find(',', start);
    if (end == std::string_view::npos) end = requested.size();
    const std::string name = lower(trim(requested.substr(start, end - start), kSpaceTab));
    if (!name.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Filter cors(CorsPolicy policy) {
  const bool any = std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), "*") !=
                   policy.allowed_origins.end();
  return [policy, any](RequestContext& ctx) -> std::optional<Response> {
    const auto origin = ctx.header("Origin");
    if (!any) ctx.header_views.emplace_back("Vary", "Origin");
    if (origin.empty()) return std::nullopt;

    const bool allowed =
        any || std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), origin) !=
                   policy.allowed_origins.end();
    const auto requested_method = ctx.header("Access-Control-Request-Method");
    const bool preflight = ctx.request.method() == Verb::options && !requested_method.empty();
    const auto version = ctx.request.version();

    if (preflight) {
      ctx.route = "preflight";
      std::string problem;
      if (!allowed) problem = "Disallowed CORS origin";
      else if (!method_allowed(requested_method)) problem = "Disallowed CORS method";
      else if (!headers_allowed(ctx.header("Access-Control-Request-Headers")))
        problem = "Disallowed CORS headers";
      if (!problem.empty()) return text_response(Status::bad_request, problem, version);
      auto res = text_response(Status::ok, "OK", version);
      res.set("Access-Control-Allow-Origin", any ? "*" : std::string(origin));
      if (!any) res.set("Access-Control-Allow-Credentials", "true");
      res.set("Access-Control-Allow-Methods", kAllowMethods);
      res.set("Access-Control-Allow-Headers", kAllowHeaders);
      res.set("Access-Control-Max-Age", std::to_string(policy.max_age_seconds));
      return res;
    }

    if (allowed) {
      ctx.response_headers.emplace_back("Access-Control-Allow-Origin",
                                        any ? "*" : std::string(origin));
      if (!any) ctx.response_headers.emplace_back("Access-Control-Allow-Credentials", "true");
      ctx.response_headers.emplace_back("Access-Control-Expose-Headers", kExposeHeaders);
    }
    return std::nullopt;
  };
}

}  // namespace rag::http
