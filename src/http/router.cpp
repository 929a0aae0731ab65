#include "http/router.hpp"

#include <boost/beast/http/field.hpp>

namespace rag::http {
namespace {

// The segments of a path, without allocating: at most kMaxSegments (a longer path matches no
// route, since no pattern is that long).
constexpr std::size_t kMaxSegments = 16;
struct Segments {
  std::string_view items[kMaxSegments];
  std::size_t size = 0;
  bool overflow = false;
};

Segments split_path(std::string_view path) {
  Segments out;
  size_t start = 1;  // skip the leading '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (out.size == kMaxSegments) {
      out.overflow = true;
      return out;
    }
    out.items[out.size++] = path.substr(start, end - start);
    start = end + 1;
  }
  if (out.size > 1 && out.items[out.size - 1].empty()) --out.size;  // trailing '/'
  return out;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(Verb method, std::string pattern, Handler handler) {
  const auto split = split_path(pattern);
  std::vector<Segment> segments;
  for (size_t i = 0; i < split.size; ++i) {
    const auto s = split.items[i];
    segments.push_back(is_param(s) ? Segment{std::string(s.substr(1, s.size() - 2)), true}
                                   : Segment{std::string(s), false});
  }
  routes_.push_back(Route{method, std::move(pattern), std::move(segments), std::move(handler)});
}

template <class Split>
bool Router::matches(const Route& route, const Split& split, RequestContext* ctx) {
  if (split.overflow || route.segments.size() != split.size) return false;
  for (size_t i = 0; i < split.size; ++i) {
    const auto& want = route.segments[i];
    if (want.param ? split.items[i].empty() : want.text != split.items[i]) return false;
  }
  if (ctx) {
    for (size_t i = 0; i < split.size; ++i)
      if (route.segments[i].param)
        ctx->params.emplace(route.segments[i].text, std::string(split.items[i]));
  }
  return true;
}

std::string Router::match(std::string_view path) const {
  const auto segments = split_path(path);
  for (const auto& route : routes_)
    if (matches(route, segments, nullptr)) return route.pattern;
  return {};
}

// Not a coroutine: it returns the matched handler's awaitable (or a ready answer), so routing
// costs no coroutine frame.
boost::asio::awaitable<Response> Router::dispatch(RequestContext& ctx) const {
  const auto segments = split_path(ctx.path());
  const Verb method = ctx.request.method() == Verb::head ? Verb::get : ctx.request.method();
  const Route* path_match = nullptr;
  for (const auto& route : routes_) {
    if (!matches(route, segments, nullptr)) continue;
    if (route.method == method) {
      ctx.route = route.pattern;
      matches(route, segments, &ctx);
      return route.handler(ctx);
    }
    if (!path_match) path_match = &route;
  }
  ctx.route = "unmatched";
  if (!path_match)
    return ready(error_response(Status::not_found, "Not Found", ctx.request.version()));
  std::string allow;
  for (const auto& route : routes_) {
    if (!matches(route, segments, nullptr)) continue;
    if (!allow.empty()) allow += ", ";
    allow += std::string(boost::beast::http::to_string(route.method));
  }
  auto res = error_response(Status::method_not_allowed, "Method Not Allowed", ctx.request.version());
  res.set(boost::beast::http::field::allow, allow);
  return ready(std::move(res));
}

}  // namespace rag::http
