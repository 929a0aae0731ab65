// The vocabulary of the HTTP layer: a request context, handlers and middleware. A handler is a
// function of the request (independent of the connection) returning a response; a handler that
// streams (SSE) takes over the response through the context's StreamWriter instead.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.hpp"
#include "common/stage_timing.hpp"

namespace rag::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
using Status = boost::beast::http::status;
using Verb = boost::beast::http::verb;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Lets a handler send its response piece by piece (chunked transfer encoding), as SSE does.
// Methods run on the connection's strand; a false return means the client is gone.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends the status line and headers (the context's response_headers are added).
  virtual boost::asio::awaitable<bool> start(Response head) = 0;
  virtual boost::asio::awaitable<bool> write(std::string data) = 0;
  virtual boost::asio::awaitable<void> finish() = 0;
};

// Thread-safety: one request at a time, on the connection's thread. The connection keeps one
// context for its whole life and reset()s it between requests, so the strings and lists keep
// their capacity and a request allocates nothing here once the connection is warm.
struct RequestContext {
  RequestContext(const Request& req, std::string peer) : request(req), peer_ip(std::move(peer)) {}
  ~RequestContext() { run_deferred(); }
  RequestContext(const RequestContext&) = delete;
  RequestContext& operator=(const RequestContext&) = delete;

  const Request& request;
  std::string request_id;
  std::string peer_ip;    // the socket peer
  std::string client_ip;  // the peer, or the trusted X-Forwarded-For hop (rate limits, logs)
  std::string route;      // the matched route pattern, e.g. "/sessions/{id}", for metrics
  std::map<std::string, std::string, std::less<>> params;  // path parameters
  // Middleware adds headers here; they go on every response (streamed ones too) unless the
  // handler set the same header itself (a handler's Cache-Control wins, for example).
  HeaderList response_headers;
  // Headers whose name and value outlive the request (string literals, or views into this
  // context such as request_id): the same rule as response_headers, without allocating.
  std::vector<std::pair<std::string_view, std::string_view>> header_views;
  CancelToken cancel;  // null until watch_disconnect(); then fires when the client disconnects
                       // or the grace period ends (a null token is never cancelled)
  StreamWriter* stream = nullptr;
  bool streamed = false;        // the handler took over the response through `stream`
  unsigned streamed_status = 0;
  std::size_t streamed_bytes = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // Stages the handler measured, in order (Server-Timing header, access log).
  std::vector<StageTiming> timings;
  // Creates `cancel` and starts watching the connection, so `cancel` fires if the client goes
  // away while the handler waits (long upstream calls). Set by the connection.
  std::function<void()> watch_disconnect;

  // Runs fn(arg) once the request is over (the handler returned or threw), the last registered
  // first: a step that never waits can still release what it took (a load-shedding slot)
  // without wrapping the rest of the chain in a coroutine.
  void defer(void (*fn)(void*), void* arg);
  // Runs what defer() registered, now (the connection calls it when the handler is done; the
  // destructor does if nobody did).
  void run_deferred();
  // Ready for the next request on the same connection: every field back to its initial value,
  // capacity kept. Runs what is deferred first.
  void reset();

  // The target without its query string, in its canonical spelling once the canonical_path()
  // filter ran (http/path.hpp): what routing, rate limits and logs see.
  std::string_view path() const;
  // Replaces what path() returns (the canonical_path() filter; `path` is copied).
  void set_path(std::string_view path);
  // The query string parameter `name`, percent-decoded, or "" when absent.
  std::string query_param(std::string_view name) const;
  std::string_view header(std::string_view name) const;

 private:
  struct Deferred {
    void (*fn)(void*);
    void* arg;
  };
  std::string canonical_path_;  // path() when path_rewritten_
  bool path_rewritten_ = false;
  Deferred deferred_[4] = {};
  std::size_t deferred_count_ = 0;
  std::vector<Deferred> more_deferred_;  // past four: rare
};

using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;
// A step around the rest of the chain, for concerns that must wait (rate limits in Redis) or
// act after the handler. One coroutine frame per request where it applies.
using Middleware =
    std::function<boost::asio::awaitable<Response>(RequestContext&, const Handler& next)>;
// A step that never waits: it may set context fields, add response headers, or answer at once
// by returning a response. Filters run inline, with no coroutine frame of their own.
using Filter = std::function<std::optional<Response>(RequestContext&)>;

// An around-step with an optional test: when `applies` says no, the step is skipped without
// creating its coroutine frame.
// A step that never waits can be an Around too (`inline_step`, with `step` empty): it runs
// inline at its place in the chain, with no coroutine frame, and releases what it holds
// through RequestContext::defer.
struct Around {
  Middleware step;
  std::function<bool(const RequestContext&)> applies;  // empty: always
  Filter inline_step;                                  // set: used instead of `step`
};

// Runs `filters` in order, then `around` (the first outermost), then `handler`. The composed
// handler is not itself a coroutine: filters and inline steps run when it is called, and it
// returns the awaitable of the step that answers.
Handler chain(std::vector<Filter> filters, std::vector<Around> around, Handler handler);

// An awaitable that yields `response` at once (for a handler that has its answer already).
boost::asio::awaitable<Response> ready(Response response);

// A JSON response: Content-Type application/json; charset=utf-8.
Response json_response(Status status, std::string body, unsigned version = 11);
// A plain-text response: Content-Type text/plain; charset=utf-8.
Response text_response(Status status, std::string body, unsigned version = 11);
// {"detail": "<text>"} with the given status.
Response error_response(Status status, std::string_view detail, unsigned version = 11);

}  // namespace rag::http
