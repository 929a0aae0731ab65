#include "http/router.hpp"

#include <boost/beast/http/field.hpp>

namespace rag::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (!out.empty() && out.back().empty() && out.size() > 1) out.pop_back();  // trailing '/'
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(Verb method, std::string pattern, Handler handler) {
  std::vector<std::string> segments;
  for (auto s : split_path(pattern)) segments.emplace_back(s);
  routes_.push_back(Route{method, std::move(pattern), std::move(segments), std::move(handler)});
}

bool Router::matches(const Route& route, const std::vector<std::string_view>& segments,
                     RequestContext* ctx) {
  if (route.segments.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& want = route.segments[i];
    if (is_param(want)) {
      if (segments[i].empty()) return false;
    } else if (want != segments[i]) {
      return false;
    }
  }
  if (ctx) {
    for (size_t i = 0; i < segments.size(); ++i) {
      const auto& want = route.segments[i];
      if (is_param(want))
        ctx->params.emplace(want.substr(1, want.size() - 2), std::string(segments[i]));
    }
  }
  return true;
}

std::string Router::match(std::string_view path) const {
  const auto segments = split_path(path);
  for (const auto& route : routes_)
    if (matches(route, segments, nullptr)) return route.pattern;
  return {};
}

boost::asio::awaitable<Response> Router::dispatch(RequestContext& ctx) const {
  const auto segments = split_path(ctx.path());
  std::string allow;
  const Verb method = ctx.request.method() == Verb::head ? Verb::get : ctx.request.method();
  for (const auto& route : routes_) {
    if (!matches(route, segments, nullptr)) continue;
    if (route.method == method) {
      ctx.route = route.pattern;
      matches(route, segments, &ctx);
      co_return co_await route.handler(ctx);
    }
    if (!allow.empty()) allow += ", ";
    allow += std::string(boost::beast::http::to_string(route.method));
  }
  if (allow.empty()) {
    ctx.route = "unmatched";
    co_return error_response(Status::not_found, "Not Found", ctx.request.version());
  }
  ctx.route = "unmatched";
  auto res = error_response(Status::method_not_allowed, "Method Not Allowed", ctx.request.version());
  res.set(boost::beast::http::field::allow, allow);
  co_return res;
}

}  // namespace rag::http
