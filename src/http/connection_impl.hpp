// Member definitions of Connection<Stream> (see connection.hpp).
#pragma once

namespace rag::http {

template <class Stream>
asio::awaitable<void> Connection<Stream>::run() {
  auto self = this->shared_from_this();
  const auto id = state_->add(self);
  struct Unregister {
    ServerState& state;
    std::uint64_t id;
    ~Unregister() { state.remove(id); }
  } unregister{*state_, id};

  if (!co_await handshake()) co_return;
  for (bool first = true; !state_->stopping || first; first = false) {
    if (!co_await wait_for_request(first)) break;

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
    parser.body_limit(state_->options.max_body_bytes);
    beast::error_code ec;
    lowest().expires_after(state_->options.header_timeout);
    co_await bhttp::async_read_header(stream_, buffer_, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::header_limit) {
      co_await reply_and_close(Status::request_header_fields_too_large,
                               "Request header fields too large");
      break;
    }
    if (ec == bhttp::error::body_limit) {  // a Content-Length over the limit, seen in the head
      co_await reply_and_close(Status::payload_too_large, "Request body too large");
      break;
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != bhttp::error::end_of_stream &&
          ec != asio::error::operation_aborted && ec != asio::error::eof)
        co_await reply_and_close(Status::bad_request, "Bad Request");
      break;
    }
    const auto length = parser.content_length();
    if (length && *length > state_->options.max_body_bytes) {
      co_await reply_and_close(Status::payload_too_large, "Request body too large");
      break;
    }
    if (parser.get()[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
      co_await bhttp::async_write(stream_, cont, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    if (!parser.is_done())
      co_await bhttp::async_read(stream_, buffer_, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::body_limit) {
      co_await reply_and_close(Status::payload_too_large, "Request body too large");
      break;
    }
    if (ec) {
      if (ec != beast::error::timeout && ec != asio::error::operation_aborted)
        co_await reply_and_close(Status::bad_request, "Bad Request");
      break;
    }
    lowest().expires_never();
    Request request = parser.release();
    keep_alive_ = request.keep_alive();
    co_await handle(request);
    if (!keep_alive_) break;
  }
  co_await close();
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::handshake() {
  if constexpr (kTls) {
    beast::error_code ec;
    lowest().expires_after(state_->options.header_timeout);
    co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  } else {
    co_return true;
  }
}

// Waits for the first bytes of the next request: the header timeout on a new connection, the
// keep-alive timeout between requests. False when the client left or the time ran out.
template <class Stream>
asio::awaitable<bool> Connection<Stream>::wait_for_request(bool first) {
  if (buffer_.size() > 0) co_return true;
  if (state_->stopping && !first) co_return false;
  lowest().expires_after(first ? state_->options.header_timeout : state_->options.keepalive);
  idle_ = true;
  beast::error_code ec;
  const auto n = co_await stream_.async_read_some(buffer_.prepare(4096),
                                                  asio::redirect_error(asio::use_awaitable, ec));
  idle_ = false;
  if (ec) co_return false;
  buffer_.commit(n);
  co_return true;
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::handle(Request& request) {
  RequestCounter counting(state_->requests);
  RequestContext ctx(request, peer_);
  ctx.response_headers.reserve(12);  // the chain adds ~8: no regrowth per request
  ctx.client_ip = peer_;
  ctx.stream = this;
  // The cancel token exists only for handlers that wait on something long (they call
  // watch_disconnect first); a GET / pays for neither the token nor the watcher.
  ctx.watch_disconnect = [this] {
    if (!current_->cancel) {
      current_->cancel = make_cancel_token();
      cancel_ = current_->cancel;
    }
    start_disconnect_watch(current_->cancel);
  };
  current_ = &ctx;

  Response response;
  try {
    response = co_await state_->handler(ctx);
  } catch (const std::exception& e) {
    response = error_response(Status::internal_server_error, "Internal Server Error",
                              request.version());
  }
  stop_disconnect_watch();

  // The hook runs before a plain response is written, so once a client holds its answer the
  // request is already counted (metrics, access log); a stream completes after its last chunk.
  if (ctx.streamed) {
    if (state_->on_complete) state_->on_complete(ctx, ctx.streamed_status, ctx.streamed_bytes);
  } else {
    prepare(response, ctx);
    if (state_->on_complete)
      state_->on_complete(ctx, response.result_int(), response.body().size());
    if (!co_await send(response)) keep_alive_ = false;
  }
  current_ = nullptr;
  cancel_.reset();
}

template <class Stream>
void Connection<Stream>::prepare(Response& response, const RequestContext& ctx) const {
  response.version(ctx.request.version());
  for (const auto& [name, value] : ctx.response_headers)
    if (response.find(name) == response.end()) response.set(name, value);
  response.keep_alive(keep_alive_ && !state_->stopping);
  if (ctx.request.method() == Verb::head) {
    response.body().clear();  // Content-Length stays that of the GET answer
  }
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::send(Response& response) {
  beast::error_code ec;
  lowest().expires_after(state_->options.write_timeout);
  keep_alive_ = keep_alive_ && response.keep_alive();
  co_await bhttp::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::reply_and_close(Status status, std::string_view detail) {
  Response response = error_response(status, detail);
  response.keep_alive(false);
  keep_alive_ = false;
  co_await send(response);
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::start(Response head) {
  if (!current_ || current_->streamed) co_return false;
  current_->streamed = true;
  current_->streamed_status = head.result_int();
  for (const auto& [name, value] : current_->response_headers)
    if (head.find(name) == head.end()) head.set(name, value);
  head.version(current_->request.version());
  head.keep_alive(keep_alive_ && !state_->stopping);
  keep_alive_ = head.keep_alive();
  head.chunked(true);
  head.body().clear();
  bhttp::response_serializer<bhttp::string_body> serializer{head};
  beast::error_code ec;
  lowest().expires_after(state_->options.write_timeout);
  co_await bhttp::async_write_header(stream_, serializer,
                                     asio::redirect_error(asio::use_awaitable, ec));
  if (ec) keep_alive_ = false;
  co_return !ec;
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::write(std::string data) {
  if (!current_ || !current_->streamed || data.empty()) co_return current_ != nullptr;
  beast::error_code ec;
  lowest().expires_after(state_->options.write_timeout);
  co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(data)),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    keep_alive_ = false;
    co_return false;
  }
  current_->streamed_bytes += data.size();
  co_return true;
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::finish() {
  if (!current_ || !current_->streamed) co_return;
  beast::error_code ec;
  lowest().expires_after(state_->options.write_timeout);
  co_await asio::async_write(stream_, bhttp::make_chunk_last(),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) keep_alive_ = false;
}

// While a handler waits (e.g. on its LLM), readable-with-EOF on the socket means the client
// left: fire the request's cancel token. Pipelined bytes end the watch without cancelling.
template <class Stream>
void Connection<Stream>::start_disconnect_watch(CancelToken token) {
  if (watching_) return;
  watching_ = true;
  auto self = this->shared_from_this();
  asio::co_spawn(
      lowest().get_executor(),
      [self, token]() -> asio::awaitable<void> {
        beast::error_code ec;
        auto& socket = self->lowest().socket();
        co_await socket.async_wait(asio::ip::tcp::socket::wait_read,
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !self->watching_) co_return;
        char probe;
        const auto n = ::recv(socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
        if (ec || n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) token->cancel();
      },
      asio::detached);
}

template <class Stream>
void Connection<Stream>::stop_disconnect_watch() {
  if (!watching_) return;
  watching_ = false;
  beast::error_code ec;
  lowest().socket().cancel(ec);
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::close() {
  beast::error_code ec;
  if constexpr (kTls) {
    lowest().expires_after(std::chrono::seconds(2));
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  lowest().close();
}

}  // namespace rag::http
