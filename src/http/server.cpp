#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/error.hpp>
#include <sys/socket.h>
#include <spdlog/spdlog.h>

#include "http/connection_start.hpp"
#include "http/middleware.hpp"
#include "observability/telemetry.hpp"

namespace rag::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

struct Server::Impl {
  Impl(std::vector<asio::io_context*> c, std::shared_ptr<ServerState> s)
      : contexts(std::move(c)), ioc(*contexts.front()), acceptor(ioc), state(std::move(s)) {}

  std::vector<asio::io_context*> contexts;
  asio::io_context& ioc;  // accepts; the first of `contexts`
  std::size_t next_context = 0;
  asio::ip::tcp::acceptor acceptor;
  std::shared_ptr<ServerState> state;
  std::unique_ptr<asio::ssl::context> tls;

  asio::awaitable<void> accept_loop();
  void serve(asio::ip::tcp::socket socket);
};

namespace {

std::string peer_address(const asio::ip::tcp::socket& socket) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return address.to_v6().to_v4().to_string();
  return address.to_string();
}

Result<std::unique_ptr<asio::ssl::context>> make_tls_context(const ServerOptions& options) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  beast::error_code ec;
  ctx->use_certificate_chain_file(options.ssl_certfile, ec);
  if (ec)
    return fail(ErrorCode::kInvalidArgument,
                "SSL_CERTFILE " + options.ssl_certfile + ": " + ec.message());
  ctx->use_private_key_file(options.ssl_keyfile, asio::ssl::context::pem, ec);
  if (ec)
    return fail(ErrorCode::kInvalidArgument,
                "SSL_KEYFILE " + options.ssl_keyfile + ": " + ec.message());
  return ctx;
}

}  // namespace

Server::Server(std::vector<asio::io_context*> contexts, ServerOptions options, Handler handler,
               CompletionHook on_complete) {
  auto state = std::make_shared<ServerState>();
  state->options = std::move(options);
  state->handler = std::move(handler);
  state->on_complete = std::move(on_complete);
  impl_ = std::make_shared<Impl>(std::move(contexts), std::move(state));
}

Server::~Server() = default;

Result<std::uint16_t> Server::listen() {
  const auto& options = impl_->state->options;
  if (!options.ssl_certfile.empty()) {
    auto tls = make_tls_context(options);
    if (!tls) return std::unexpected(tls.error());
    impl_->tls = std::move(*tls);
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec) {
    // A host name: resolve it once at start-up.
    asio::ip::tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty())
      return fail(ErrorCode::kInvalidArgument, "HOST " + options.host + ": cannot resolve");
    address = results.begin()->endpoint().address();
  }
  const asio::ip::tcp::endpoint endpoint(address, options.port);
  auto& acceptor = impl_->acceptor;
  const auto where = options.host + ":" + std::to_string(options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  return acceptor.local_endpoint().port();
}

void Server::start() {
  asio::co_spawn(impl_->acceptor.get_executor(),
                 [impl = impl_] { return impl->accept_loop(); }, asio::detached);
}

asio::awaitable<void> Server::Impl::accept_loop() {
  while (!state->stopping) {
    beast::error_code ec;
    auto& target = *contexts[next_context++ % contexts.size()];
    auto socket = co_await acceptor.async_accept(target,
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || state->stopping) break;
      // Out of file descriptors and the like: log, breathe, go on accepting.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    serve(std::move(socket));
  }
}

// Past max_connections: a 503 written at once without waiting (the socket's send buffer is
// empty), what the client already sent is read away so the close does not reset the answer,
// and the socket is closed. Over TLS there is no handshake to answer in: just closed.
static void refuse(asio::ip::tcp::socket& socket, bool tls) {
  if (!tls) {
    std::string answer =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
        "Retry-After: 1\r\nConnection: close\r\n";
    for (const auto& [name, value] : kSecurityHeaders)
      answer.append(name).append(": ").append(value).append("\r\n");
    answer += "X-Request-Id: ";
    answer += generate_request_id();
    constexpr std::string_view kBody = R"({"detail":"Too many open connections"})";
    answer += "\r\nContent-Length: " + std::to_string(kBody.size()) + "\r\n\r\n";
    answer += kBody;
    const int fd = socket.native_handle();
    [[maybe_unused]] auto sent =
        ::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    char sink[4096];
    for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
  }
  beast::error_code ec;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

void Server::Impl::serve(asio::ip::tcp::socket socket) {
  beast::error_code ec;
  if (!state->try_open()) {
    refuse(socket, tls != nullptr);
    return;
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  auto peer = peer_address(socket);
  if (tls) {
    start_tls_connection(std::move(socket), *tls, state, std::move(peer));
  } else {
    start_tcp_connection(std::move(socket), state, std::move(peer));
  }
}

asio::awaitable<void> Server::shutdown(std::chrono::milliseconds grace) {
  auto state = impl_->state;
  state->stopping = true;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
    spdlog::info("Listener closed: no new connections");
  });

  // The timer lives on this coroutine's strand; a closing connection posts a cancel onto it,
  // so a wake-up cannot slip in between the emptiness check and the wait.
  auto drained = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  auto live = [&] {
    std::vector<std::shared_ptr<ConnectionHandle>> out;
    std::lock_guard lock(state->mutex);
    state->drained = drained;
    for (auto& [id, weak] : state->connections)
      if (auto conn = weak.lock()) out.push_back(std::move(conn));
    return out;
  };
  auto first = live();
  spdlog::info("Shutting down: {} open connections, {} requests in flight", first.size(),
               state->requests.load());
  for (auto& conn : first) conn->close_if_idle();
  first.clear();

  auto deadline = std::chrono::steady_clock::now() + grace;
  bool forced = false;
  for (;;) {
    {
      std::lock_guard lock(state->mutex);
      if (state->connections.empty()) break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      if (forced) break;  // sockets closed already; do not wait forever on stragglers
      auto left = live();
      spdlog::warn("Grace period over: closing {} connections", left.size());
      for (auto& conn : left) conn->force_close();
      forced = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
    drained->expires_at(deadline);
    beast::error_code ec;
    co_await drained->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  std::lock_guard lock(state->mutex);
  state->drained.reset();
}

std::size_t Server::active_connections() const {
  std::lock_guard lock(impl_->state->mutex);
  return impl_->state->connections.size();
}

std::size_t Server::active_requests() const { return impl_->state->requests.load(); }

std::uint64_t Server::refused_connections() const {
  return impl_->state->refused.load(std::memory_order_relaxed);
}

void Server::publish(observability::Telemetry& telemetry) const {
  telemetry.metrics.callback(
      "rag_http_connections_refused_total",
      "Connections answered 503 and closed at accept because MAX_CONNECTIONS were open.",
      "counter", {}, [this] { return static_cast<double>(refused_connections()); });
}

}  // namespace rag::http
