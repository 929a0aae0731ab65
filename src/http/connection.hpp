// One client connection: read a request, run the handler, write the response, repeat while
// keep-alive holds. Templated over the stream so plain TCP and TLS share all of this code.
// Internal to http/ (included by server.cpp only).
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
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <string>

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

  Connection(Stream stream, std::shared_ptr<ServerState> state, std::string peer)
      : stream_(std::move(stream)), state_(std::move(state)), peer_(std::move(peer)) {}

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
  asio::awaitable<bool> wait_for_request(bool first);
  asio::awaitable<void> handle(Request& request);
  asio::awaitable<bool> send(Response& response);
  asio::awaitable<void> reply_and_close(Status status, std::string_view detail);
  void start_disconnect_watch(CancelToken token);
  void stop_disconnect_watch();
  void prepare(Response& response, const RequestContext& ctx) const;
  asio::awaitable<void> close();

  Stream stream_;
  std::shared_ptr<ServerState> state_;
  std::string peer_;
  beast::flat_buffer buffer_;
  bool idle_ = false;
  bool keep_alive_ = true;
  bool watching_ = false;
  CancelToken cancel_;
  RequestContext* current_ = nullptr;
};

}  // namespace rag::http

#include "http/connection_impl.hpp"
