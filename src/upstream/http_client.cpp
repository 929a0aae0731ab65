// Implementation of the upstream HTTP client (see http_client.hpp): a pool of keep-alive
// connections per origin, each driven on its own strand; one attempt = (connect + TLS) when
// the connection is new, write the request, read the answer into memory or into a sink.
#include "upstream/http_client.hpp"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <mutex>
#include <optional>
#include <spdlog/spdlog.h>
#include <unordered_map>
#include <utility>

#include "common/text.hpp"

namespace rag::upstream {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Kind = AttemptOutcome::Kind;
using Strand = asio::strand<asio::any_io_executor>;
using SteadyClock = std::chrono::steady_clock;

namespace {

// One keep-alive connection. Invariant: touched only on `strand` (the pool hands it to one
// attempt at a time, and cancellation posts onto the strand).
struct Connection {
  explicit Connection(Strand s) : strand(std::move(s)), resolver(strand) {}

  Strand strand;
  tcp::resolver resolver;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool connected = false;
  std::uint64_t generation = 0;  // bumped when an attempt ends; stale cancel posts check it
  SteadyClock::time_point idle_since{};

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    resolver.cancel();
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
    connected = false;
  }
};

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Whether an idle keep-alive connection may be reused: one the server has closed (its FIN or
// RST already arrived) or that has unexpected bytes waiting is not. The peek does not consume
// anything; the connection has no operation in flight while it sits in the pool.
bool looks_open(Connection& conn) {
  char byte;
  const ssize_t n =
      ::recv(conn.lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

HttpFailure failure(Kind kind, std::string detail, bool got_response = false) {
  return HttpFailure{kind, std::move(detail), got_response};
}

}  // namespace

struct HttpClient::Impl {
  asio::any_io_executor executor;
  Options options;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  // Why options.extra_ca_file could not be loaded ("" when it was, or none is set): every TLS
  // attempt then fails with it rather than with a certificate error that hides the cause.
  std::string trust_problem;
  mutable std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Connection>>> idle;  // by mutex

  std::shared_ptr<Connection> take(const std::string& key) {
    std::lock_guard lock(mutex);
    auto& list = idle[key];
    while (!list.empty()) {
      auto conn = std::move(list.back());
      list.pop_back();
      if (SteadyClock::now() - conn->idle_since < options.idle_keepalive && looks_open(*conn))
        return conn;
      asio::post(conn->strand, [conn] { conn->close(); });
    }
    return nullptr;
  }

  void give(const std::string& key, std::shared_ptr<Connection> conn) {
    conn->idle_since = SteadyClock::now();
    std::lock_guard lock(mutex);
    auto& list = idle[key];
    if (list.size() < options.max_idle_per_host) list.push_back(std::move(conn));
  }
};

namespace {

struct Attempt {
  HttpClient::Impl* impl;
  std::shared_ptr<Connection> conn;
  const HttpRequest* request;
  std::chrono::milliseconds timeout;
  CancelToken cancel;
  BodySink sink;
  asio::any_io_executor caller;

  bool cancelled() const { return cancel && cancel->cancelled(); }

  HttpFailure classify(const beast::error_code& ec, Kind otherwise, bool got_response) const {
    if (cancelled()) return failure(Kind::kCancelled, "cancelled", got_response);
    if (ec == beast::error::timeout) return failure(Kind::kTimeout, "timed out", got_response);
    return failure(otherwise, ec.message(), got_response);
  }

  asio::awaitable<std::optional<HttpFailure>> connect(SteadyClock::time_point deadline) {
    const Url& url = request->url;
    beast::error_code ec;
    auto results = co_await conn->resolver.async_resolve(
        url.host, url.port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return classify(ec, Kind::kConnectError, false);
    conn->lowest().expires_at(deadline);
    co_await conn->lowest().async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return classify(ec, Kind::kConnectError, false);
    conn->lowest().socket().set_option(tcp::no_delay(true), ec);
    if (conn->tls) {
      if (!impl->trust_problem.empty()) co_return failure(Kind::kTlsError, impl->trust_problem);
      if (!is_ip_literal(url.host) &&
          !SSL_set_tlsext_host_name(conn->tls->native_handle(), url.host.c_str()))
        co_return failure(Kind::kTlsError, "cannot set SNI");
      conn->tls->set_verify_mode(asio::ssl::verify_peer);
      conn->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
      conn->lowest().expires_at(deadline);
      co_await conn->tls->async_handshake(asio::ssl::stream_base::client,
                                          asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return classify(ec, Kind::kTlsError, false);
    }
    conn->connected = true;
    co_return std::nullopt;
  }

  template <class Stream>
  asio::awaitable<HttpResult> exchange(Stream& stream, SteadyClock::time_point deadline) {
    const HttpRequest& req = *request;
    http::request<http::string_body> out{req.post ? http::verb::post : http::verb::get,
                                         req.url.target, 11};
    out.set(http::field::host, req.url.host_header());
    out.set(http::field::user_agent, "rag-server");
    for (const auto& [name, value] : req.headers) out.set(name, value);
    if (req.post) out.body() = req.body;
    out.keep_alive(true);
    out.prepare_payload();

    beast::error_code ec;
    conn->lowest().expires_at(deadline);
    co_await http::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::unexpected(classify(ec, Kind::kConnectionLost, false));

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    conn->lowest().expires_at(deadline);
    co_await http::async_read_header(stream, conn->buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::unexpected(classify(ec, Kind::kConnectionLost, false));

    HttpResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      const auto name = field.name_string();
      response.headers.emplace_back(lower({name.data(), name.size()}), std::string(field.value()));
    }
    const bool to_sink = sink && response.status / 100 == 2;
    char piece[16384];
    while (!parser.is_done()) {
      parser.get().body().data = piece;
      parser.get().body().size = sizeof piece;
      // read_some, not read: with a buffer body, read waits until the piece is full or the
      // message ends, which would hold a streamed answer back until its end. Each read gets
      // `timeout` (an idle limit while a long answer streams).
      conn->lowest().expires_after(timeout);
      co_await http::async_read_some(stream, conn->buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      // Bytes read before an error still count: a stream cut mid-way delivers what came.
      const std::size_t n = sizeof piece - parser.get().body().size;
      if (n > 0 && !to_sink) {
        if (response.body.size() + n > impl->options.max_body_bytes)
          co_return std::unexpected(failure(Kind::kProtocol, "response body too large", true));
        response.body.append(piece, n);
      } else if (n > 0) {
        bool accepted = false;
        try {
          accepted = co_await asio::co_spawn(caller, sink(std::string_view(piece, n)),
                                             asio::use_awaitable);
        } catch (const std::exception& e) {
          spdlog::error("An upstream response body sink threw: {}", e.what());
          accepted = false;
        }
        if (cancelled()) co_return std::unexpected(failure(Kind::kCancelled, "cancelled", true));
        if (!accepted) co_return std::unexpected(failure(Kind::kProtocol, "body rejected", true));
      }
      if (ec) co_return std::unexpected(classify(ec, Kind::kConnectionLost, true));
    }
    if (!parser.keep_alive()) conn->close();
    co_return response;
  }

  asio::awaitable<HttpResult> run() {
    const std::uint64_t generation = conn->generation;
    auto c = conn;
    CancelRegistration registration(cancel, [c, generation] {
      asio::post(c->strand, [c, generation] {
        if (c->generation == generation) c->close();
      });
    });
    const auto deadline = SteadyClock::now() + timeout;
    HttpResult result = std::unexpected(failure(Kind::kCancelled, "cancelled"));
    if (!cancelled()) {
      if (!conn->connected) {
        if (auto error = co_await connect(deadline)) result = std::unexpected(*error);
      }
      if (conn->connected && !cancelled()) {
        // (if/else, not ?: — g++ 12 miscompiles co_await inside a conditional expression)
        if (conn->tls)
          result = co_await exchange(*conn->tls, deadline);
        else
          result = co_await exchange(*conn->plain, deadline);
      }
    }
    ++conn->generation;
    if (!result || cancelled()) conn->close();
    co_return result;
  }
};

}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, Options options)
    : impl_(std::make_shared<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->options = std::move(options);
  impl_->ssl.set_default_verify_paths();
  if (!impl_->options.extra_ca_file.empty()) {
    beast::error_code ec;
    impl_->ssl.load_verify_file(impl_->options.extra_ca_file, ec);
    if (ec) {
      impl_->trust_problem =
          "cannot load the CA file " + impl_->options.extra_ca_file + ": " + ec.message();
      spdlog::error("Upstream TLS calls will fail: {}", impl_->trust_problem);
    }
  }
  impl_->ssl.set_verify_mode(asio::ssl::verify_peer);
}

HttpClient::~HttpClient() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [key, list] : impl_->idle)
    for (auto& conn : list) asio::post(conn->strand, [conn] { conn->close(); });
  impl_->idle.clear();
}

asio::any_io_executor HttpClient::executor() const { return impl_->executor; }

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& [key, list] : impl_->idle) n += list.size();
  return n;
}

asio::awaitable<HttpResult> HttpClient::send(const HttpRequest& request,
                                             std::chrono::milliseconds timeout,
                                             CancelToken cancel, BodySink sink) {
  auto caller = co_await asio::this_coro::executor;
  const std::string key = request.url.origin();
  auto impl = impl_;
  // One send is one attempt on the wire: a pooled connection the server already closed is
  // weeded out before use (looks_open), never by sending the request twice, because a POST
  // that reached the upstream must count against the retry budget (docs/configuration.md,
  // LLM_MAX_RETRIES).
  auto conn = impl->take(key);
  if (!conn) {
    conn = std::make_shared<Connection>(asio::make_strand(impl->executor));
    if (request.url.tls)
      conn->tls.emplace(conn->strand, impl->ssl);
    else
      conn->plain.emplace(conn->strand);
  }
  Attempt attempt{impl.get(), conn, &request, timeout, cancel, sink, caller};
  HttpResult result = co_await asio::co_spawn(conn->strand, attempt.run(), asio::use_awaitable);
  if (result && conn->connected) impl->give(key, std::move(conn));
  co_return result;
}

}  // namespace rag::upstream
