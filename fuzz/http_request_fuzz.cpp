// Fuzz target `http_request`: raw bytes as they arrive on a connection, through Beast's
// request_parser with the server's limits and then the real middleware chain and handlers
// (http_world.hpp): request id, client ip (X-Forwarded-For from a trusted peer), security
// headers, CORS, load shedding, rate limits, router, and the api handlers for /, /healthz,
// /readyz, /search, /chat (plain and SSE), /sessions/..., /v1/..., /metrics, /ui, /openapi.json.
// Up to kMaxRequests pipelined requests per input, as one keep-alive connection would send,
// under the connection's framing rules (http/framing.hpp: Transfer-Encoding, trailers).
//
// Oracles (besides ASan/UBSan): no exception escapes a handler (the connection would turn it
// into a 500, but it is a bug) and no 500; no response header carries CR, LF or NUL (header
// injection through echoed values); JSON bodies and SSE `data:` lines are valid JSON in valid
// UTF-8; every response carries a sane X-Request-Id.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <sstream>
#include <string>

#include "app/services.hpp"
#include "fuzz_target.hpp"
#include "http/framing.hpp"
#include "http/middleware.hpp"
#include "http/response_head.hpp"
#include "http_world.hpp"

namespace rag::fuzz {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

constexpr int kMaxRequests = 8;

// Collects what a streaming handler sends, as the connection would write it.
class CapturingStream final : public http::StreamWriter {
 public:
  explicit CapturingStream(http::RequestContext& ctx) : ctx_(ctx) {}
  asio::awaitable<bool> start(http::Response head) override {
    check(!ctx_.streamed, "stream started twice");
    ctx_.streamed = true;
    ctx_.streamed_status = head.result_int();
    http::apply_context_headers(head, ctx_);
    head_ = std::move(head);
    co_return true;
  }
  asio::awaitable<bool> write(std::string data) override {
    check(ctx_.streamed, "stream write before start");
    ctx_.streamed_bytes += data.size();
    body_ += data;
    co_return true;
  }
  asio::awaitable<void> finish() override {
    finished_ = true;
    co_return;
  }
  const http::Response& head() const { return head_; }
  const std::string& body() const { return body_; }
  bool finished() const { return finished_; }

 private:
  http::RequestContext& ctx_;
  http::Response head_;
  std::string body_;
  bool finished_ = false;
};

// RAG_FUZZ_VERBOSE=1: one line per request on stderr (method, target, status, body start),
// to see what a seed actually reaches.
bool verbose() {
  static const bool on = std::getenv("RAG_FUZZ_VERBOSE") != nullptr;
  return on;
}

bool is_json_type(std::string_view type) { return type.starts_with("application/json"); }

void check_field(std::string_view name, std::string_view value) {
  constexpr std::string_view kBad("\r\n\0", 3);
  check(name.find_first_of(kBad) == std::string_view::npos &&
            value.find_first_of(kBad) == std::string_view::npos,
        "response header with CR/LF/NUL (header injection)");
}

void check_request_id(std::string_view id, std::string_view head) {
  if (!http::is_sane_request_id(id))
    fail("response without a sane X-Request-Id:\n" + std::string(head));
}

// A Beast message (streamed heads): every field clean, a sane request id.
void check_headers(const http::Response& response) {
  for (const auto& field : response)
    check_field({field.name_string().data(), field.name_string().size()},
                {field.value().data(), field.value().size()});
  std::ostringstream head;
  head << response.base();
  const auto id = response["X-Request-Id"];
  check_request_id({id.data(), id.size()}, head.str());
}

// The head as the connection writes it (http::render_head): CRLF-separated lines, each
// "Name: value" without CR/LF/NUL inside, ending with an empty line; a sane request id.
void check_wire_head(std::string_view head) {
  check(head.ends_with("\r\n\r\n"), "rendered head does not end with CRLF CRLF");
  std::string_view rest = head.substr(0, head.size() - 4);
  std::string_view id;
  bool first = true;
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const auto line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    if (first) {
      check(line.starts_with("HTTP/1."), "rendered head without a status line");
      first = false;
      continue;
    }
    const auto colon = line.find(": ");
    check(colon != std::string_view::npos && colon > 0, "rendered header line without a name");
    check_field(line.substr(0, colon), line.substr(colon + 2));
    if (line.substr(0, colon) == "X-Request-Id") id = line.substr(colon + 2);
  }
  check_request_id(id, head);
}

void check_sse(std::string_view body) {
  check(valid_utf8(body), "SSE stream is not valid UTF-8");
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    const auto line = body.substr(pos, end - pos);
    if (line.starts_with("data: ") && line != "data: [DONE]")
      check(nlohmann::json::accept(line.substr(6)), "SSE data line is not valid JSON");
    pos = end + 1;
  }
}

void check_response(const http::RequestContext& ctx, http::Response& response,
                    const CapturingStream& stream) {
  if (ctx.streamed) {
    check(stream.finished(), "stream not finished");
    check_headers(stream.head());
    check_sse(stream.body());
    return;
  }
  check(response.result() != http::Status::internal_server_error, "500 Internal Server Error");
  std::string head;
  http::render_head(response, ctx, head);
  check_wire_head(head);
  const auto type = response[bhttp::field::content_type];
  if (is_json_type({type.data(), type.size()})) {
    check(valid_utf8(response.body()), "JSON body is not valid UTF-8");
    check(nlohmann::json::accept(response.body()), "JSON body does not parse");
  }
  http::apply_context_headers(response, ctx);  // the Beast path (chunked responses)
  check_headers(response);
  std::ostringstream wire;
  wire << response;
}

// Runs the handler chain for one request on the io_context, as Connection::handle does.
void handle(HttpWorld& world, const http::Request& request, bool keep_alive) {
  http::RequestContext ctx(request, "127.0.0.1");
  ctx.client_ip = ctx.peer_ip;
  CapturingStream stream(ctx);
  ctx.stream = &stream;
  ctx.watch_disconnect = [&ctx] {
    if (!ctx.cancel) ctx.cancel = make_cancel_token();
  };
  std::optional<http::Response> response;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(
      world.ioc, [&]() -> asio::awaitable<void> { response = co_await world.handler(ctx); },
      [&](std::exception_ptr e) {
        error = e;
        done = true;
      });
  for (int turns = 0; !done && turns < 100000; ++turns) world.ioc.run_one();
  world.ioc.poll();  // let finished helpers (SSE pinger) unwind
  check(done, "handler did not complete");
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      fail(std::string("exception escaped the handler chain: ") + e.what());
    }
  }
  ctx.run_deferred();  // as Connection::end_handler
  http::Response& out = *response;
  if (!ctx.streamed) {
    out.version(request.version());
    out.keep_alive(keep_alive);
  }
  check_response(ctx, out, stream);
  if (verbose()) {
    const auto status = ctx.streamed ? ctx.streamed_status : out.result_int();
    const std::string body = ctx.streamed ? stream.body() : out.body();
    std::fprintf(stderr, "  %s %s -> %u %s\n", std::string(request.method_string()).c_str(),
                 std::string(request.target()).c_str(), status, body.substr(0, 160).c_str());
  }
  const bool head = request.method() == http::Verb::head;
  app::record_finished_request(ctx, ctx.streamed ? ctx.streamed_status : out.result_int(),
                           ctx.streamed ? ctx.streamed_bytes : head ? 0 : out.body().size());
}

}  // namespace
}  // namespace rag::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  rag::fuzz::http_world();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rag::fuzz;
  auto& world = http_world();
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < kMaxRequests && !rest.empty(); ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(world.config.max_header_bytes));
    parser.body_limit(world.config.max_body_bytes);
    boost::beast::error_code ec;
    // The head first, then the body, with the connection's framing rules in between and after
    // (http/framing.hpp: 400 and close).
    auto read = [&](auto done) {
      while (!rest.empty() && !done()) {
        const auto used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(used);
        if (ec == bhttp::error::need_more) {
          ec = {};
          if (used == 0) return;  // an incomplete request: the connection would time out
        } else if (ec) {
          return;  // 400 / 413 / 431 and close, in the connection
        }
      }
    };
    read([&] { return parser.is_header_done(); });
    if (ec || !parser.is_header_done() || !rag::http::acceptable_transfer_encoding(parser)) break;
    const auto fields = rag::http::field_count(parser.get());
    parser.eager(true);
    read([&] { return parser.is_done(); });
    if (ec || !parser.is_done() || rag::http::field_count(parser.get()) != fields) break;
    const auto length = parser.content_length();
    if (length && *length > world.config.max_body_bytes) break;  // 413 and close
    rag::http::Request request = parser.release();
    const bool keep_alive = request.keep_alive();
    handle(world, request, keep_alive);
    if (!keep_alive) break;
  }
  return 0;
}
