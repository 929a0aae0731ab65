// One client connection: read a request, run the handler, write the response, repeat while
// keep-alive holds. Templated over the stream so plain TCP and TLS share all of this code.
// Internal to http/ (included by connection_tcp.cpp and connection_tls.cpp only).
//
// Thread-safety: every member runs on the connection's executor (a single-threaded
// io_context); the server reaches a connection only through close_if_idle()/force_close(),
// which post onto that executor.
#pragma once

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "http/response_head.hpp"
#include "http/server_state.hpp"
#include "http/types.hpp"

namespace rag::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

template <class Stream>
class Connection final : public ConnectionHandle,
                         public StreamWriter,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  static constexpr std::size_t kCopyBodyUpTo = 16 * 1024;  // bodies copied behind the head

  // Past the head limit, what a request may leave in the read buffer at once: a chunk header
  // with its extensions, the line ending a chunk, pipelined bytes. The buffer never grows
  // beyond max_header_bytes + this (Beast 1.74 bounds neither chunk extensions nor trailers).
  static constexpr std::size_t kBufferSlack = 64 * 1024;

  // REQUIRES: a slot was taken with state->try_open(); the connection gives it back.
  Connection(Stream stream, std::shared_ptr<ServerState> state, std::string peer)
      : slot_(std::move(state)),
        stream_(std::move(stream)),
        watchdog_(beast::get_lowest_layer(stream_).get_executor()),
        state_(slot_.state()),
        peer_(std::move(peer)),
        ctx_(request_, peer_),
        buffer_(state_.options.max_header_bytes + kBufferSlack) {
    ctx_.stream = this;
    // The cancel token exists only for handlers that wait on something long (they call
    // watch_disconnect first); a GET / pays for neither the token nor the watcher.
    ctx_.watch_disconnect = [this] {
      if (!current_) return;
      if (!current_->cancel) {
        current_->cancel = make_cancel_token();
        cancel_ = current_->cancel;
      }
      start_disconnect_watch(current_->cancel);
    };
  }

  asio::awaitable<void> run();

  void close_if_idle() override {
    asio::post(lowest().get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->lowest().socket().close();
    });
  }

  void force_close() override {
    asio::post(lowest().get_executor(), [self = this->shared_from_this()] {
      if (self->cancel_) self->cancel_->cancel();
      beast::error_code ec;
      self->lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      self->lowest().socket().close(ec);
    });
  }

  // StreamWriter: the handler takes over the response (chunked transfer encoding).
  asio::awaitable<bool> start(Response head) override;
  asio::awaitable<bool> write(std::string data) override;
  asio::awaitable<void> finish() override;

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  asio::awaitable<bool> handshake();
  asio::awaitable<bool> read_rest(bhttp::request_parser<bhttp::string_body>& parser,
                                  beast::error_code ec);
  void begin_request();
  bool end_handler(Response& response);
  asio::awaitable<bool> send(Response& response);
  asio::awaitable<bool> send_with_beast(Response& response);
  asio::awaitable<void> reply_and_close(Status status, std::string_view detail);
  void start_disconnect_watch(CancelToken token);
  void stop_disconnect_watch();
  asio::awaitable<void> close();
  // Timeouts: one deadline per connection, watched by one timer that wakes at most once per
  // deadline and re-aims if the deadline moved, instead of a timer operation started and
  // cancelled around every read and write. Past the deadline the socket is closed, so the
  // pending operation fails and the connection ends.
  void arm(std::chrono::milliseconds timeout);
  void disarm() { deadline_ = std::chrono::steady_clock::time_point::max(); }
  // While a request is handled: the earlier of `timeout` and the request's own deadline
  // (REQUEST_TIMEOUT), or that deadline alone while the handler waits.
  void arm_write() { arm_until(std::chrono::steady_clock::now() + state_.options.write_timeout); }
  void arm_request() { arm_until(request_deadline_); }
  void arm_until(std::chrono::steady_clock::time_point when);
  asio::awaitable<void> watch_deadline();

  ConnectionSlot slot_;
  Stream stream_;
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point request_deadline_ =
      std::chrono::steady_clock::time_point::max();
  bool closed_ = false;
  bool timed_out_ = false;
  ServerState& state_;  // kept alive by slot_
  std::string peer_;
  // One request and one context per connection, reset between requests: their strings and
  // lists keep their capacity. The context refers to request_.
  Request request_;
  RequestContext ctx_;
  std::string head_;  // the rendered response head (and a small body), reused
  beast::flat_buffer buffer_;
  bool idle_ = false;
  bool keep_alive_ = true;
  bool watching_ = false;
  CancelToken cancel_;
  RequestContext* current_ = nullptr;
};

}  // namespace rag::http

#include "http/connection_impl.hpp"
