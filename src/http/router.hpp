// A flat route table: method + path pattern → handler. Patterns are literal segments or
// `{name}` (one segment, bound into RequestContext::params). An unknown path is a JSON 404;
// a known path with another method is a JSON 405 with `Allow`.
//
// Thread-safety: add() during start-up only; dispatch() from any thread afterwards.
#pragma once

#include <string>
#include <vector>

#include "http/types.hpp"

namespace rag::http {

class Router {
 public:
  void add(Verb method, std::string pattern, Handler handler);

  // The handler of the matching route, run with ctx.route and ctx.params set.
  boost::asio::awaitable<Response> dispatch(RequestContext& ctx) const;

  // The pattern of the first route whose path matches `path`, whatever its method ("" when
  // none), without running anything.
  std::string match(std::string_view path) const;

 private:
  struct Segment {
    std::string text;  // a literal, or the parameter's name
    bool param;
  };
  struct Route {
    Verb method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };
  template <class Split>
  static bool matches(const Route& route, const Split& split, RequestContext* ctx);

  std::vector<Route> routes_;
};

}  // namespace rag::http
