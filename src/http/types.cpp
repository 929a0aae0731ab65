#include "http/types.hpp"

#include <boost/beast/http/field.hpp>

#include "http/path.hpp"
#include "observability/logging.hpp"

namespace rag::http {

std::string_view RequestContext::path() const {
  if (path_rewritten_) return canonical_path_;
  std::string_view target(request.target().data(), request.target().size());
  return target.substr(0, target.find('?'));
}

void RequestContext::set_path(std::string_view path) {
  canonical_path_.assign(path);
  path_rewritten_ = true;
}

namespace {
std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

std::string RequestContext::query_param(std::string_view name) const {
  std::string_view target(request.target().data(), request.target().size());
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string_view RequestContext::header(std::string_view name) const {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return {};
  return {it->value().data(), it->value().size()};
}

void RequestContext::defer(void (*fn)(void*), void* arg) {
  if (deferred_count_ < std::size(deferred_))
    deferred_[deferred_count_++] = {fn, arg};
  else
    more_deferred_.push_back({fn, arg});
}

void RequestContext::run_deferred() {
  while (!more_deferred_.empty()) {
    const auto d = more_deferred_.back();
    more_deferred_.pop_back();
    d.fn(d.arg);
  }
  while (deferred_count_ > 0) {
    const auto d = deferred_[--deferred_count_];
    d.fn(d.arg);
  }
}

void RequestContext::reset() {
  run_deferred();
  request_id.clear();
  client_ip.clear();
  route.clear();
  params.clear();
  path_rewritten_ = false;
  response_headers.clear();
  header_views.clear();
  cancel.reset();
  streamed = false;
  streamed_status = 0;
  streamed_bytes = 0;
  timings.clear();
  started = std::chrono::steady_clock::now();
}

boost::asio::awaitable<Response> ready(Response response) { co_return std::move(response); }

// None of the composed handlers below is a coroutine: each returns the awaitable of the next
// step, so the whole chain costs no coroutine frame of its own (only the handler's, and an
// around-step's where it applies). Filters therefore run when the handler is called, before
// its awaitable is awaited.
Handler chain(std::vector<Filter> filters, std::vector<Around> around, Handler handler) {
  for (auto it = around.rbegin(); it != around.rend(); ++it) {
    if (it->inline_step) {
      handler = [step = it->inline_step, applies = it->applies,
                 next = std::move(handler)](RequestContext& ctx) {
        if (!applies || applies(ctx))
          if (auto early = step(ctx)) return ready(std::move(*early));
        return next(ctx);
      };
      continue;
    }
    handler = [a = *it, next = std::move(handler)](RequestContext& ctx) {
      if (a.applies && !a.applies(ctx)) return next(ctx);
      return a.step(ctx, next);
    };
  }
  if (filters.empty()) return handler;
  return [filters = std::move(filters), next = std::move(handler)](RequestContext& ctx) {
    for (const auto& filter : filters)
      if (auto early = filter(ctx)) return ready(std::move(*early));
    return next(ctx);
  };
}

namespace {

Response body_response(Status status, std::string body, const char* content_type,
                       unsigned version) {
  Response res{status, version};
  res.set(boost::beast::http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

Response json_response(Status status, std::string body, unsigned version) {
  return body_response(status, std::move(body), "application/json; charset=utf-8", version);
}

Response text_response(Status status, std::string body, unsigned version) {
  return body_response(status, std::move(body), "text/plain; charset=utf-8", version);
}

Response error_response(Status status, std::string_view detail, unsigned version) {
  std::string body = "{\"detail\":";
  observability::append_json_string(body, detail);
  body += '}';
  return json_response(status, std::move(body), version);
}

}  // namespace rag::http
