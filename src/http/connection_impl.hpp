// Member definitions of Connection<Stream> (see connection.hpp).
#pragma once

#include <spdlog/spdlog.h>

#include "http/framing.hpp"
#include "http/middleware.hpp"
#include "observability/logging.hpp"

namespace rag::http {

// The request loop. Every asynchronous step of a plain request (wait, read the head, run the
// handler, write) is awaited right here, not in helper coroutines: with Boost 1.74 each
// co_await of an operation is itself a coroutine frame, and Asio recycles one frame block per
// thread, so one level of nesting costs no allocation where two levels cost one per step.
template <class Stream>
asio::awaitable<void> Connection<Stream>::run() {
  auto self = this->shared_from_this();
  const auto id = state_.add(self);
  struct Unregister {
    ServerState& state;
    std::uint64_t id;
    ~Unregister() { state.remove(id); }
  } unregister{state_, id};

  asio::co_spawn(
      lowest().get_executor(), [self] { return self->watch_deadline(); }, asio::detached);
  if (!co_await handshake()) {
    closed_ = true;  // the socket closes with the connection
    watchdog_.cancel();
    co_return;
  }
  const auto& options = state_.options;
  beast::error_code ec;
  for (bool first = true; !state_.stopping || first; first = false) {
    // The first bytes of the next request: the header timeout on a new connection, the
    // keep-alive timeout between requests.
    if (buffer_.size() == 0) {
      if (state_.stopping && !first) break;
      arm(first ? options.header_timeout : options.keepalive);
      idle_ = true;
      const auto n = co_await stream_.async_read_some(
          buffer_.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      idle_ = false;
      if (ec) break;
      buffer_.commit(n);
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    arm(options.header_timeout);
    co_await bhttp::async_read_header(stream_, buffer_, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    const auto& head = parser.get();
    if (ec || !parser.is_done() || head.find(bhttp::field::transfer_encoding) != head.end() ||
        head[bhttp::field::expect] == "100-continue")
      if (!co_await read_rest(parser, ec)) break;
    request_deadline_ = std::chrono::steady_clock::now() + options.request_timeout;
    arm_request();
    request_ = parser.release();
    keep_alive_ = request_.keep_alive();

    RequestCounter counting(state_.requests);
    begin_request();
    Response response;
    try {
      response = co_await state_.handler(ctx_);
    } catch (const std::exception& e) {
      // The route pattern, not the target: a query string may carry what must not be logged.
      spdlog::error("{} {} threw, answering 500 (request id '{}'): {}",
                    std::string_view(request_.method_string()),
                    ctx_.route.empty() ? std::string_view("-") : std::string_view(ctx_.route),
                    ctx_.request_id, observability::redact(e.what()));
      response = error_response(Status::internal_server_error, "Internal Server Error",
                                request_.version());
    }
    if (end_handler(response)) {
      keep_alive_ = keep_alive_ && response.keep_alive();
      head_.clear();
      if (render_head(response, ctx_, head_).chunked) {
        if (!co_await send_with_beast(response)) keep_alive_ = false;
      } else {
        // Small bodies go behind the head: one buffer, one write.
        const bool with_body = request_.method() != Verb::head;
        const bool copy = with_body && response.body().size() <= kCopyBodyUpTo;
        if (copy) head_.append(response.body());
        const std::array<asio::const_buffer, 2> buffers{
            asio::buffer(head_), with_body && !copy ? asio::buffer(response.body())
                                                    : asio::const_buffer()};
        arm_write();
        co_await asio::async_write(stream_, buffers, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) keep_alive_ = false;
        if (head_.capacity() > kCopyBodyUpTo * 4) std::string().swap(head_);
      }
    }
    current_ = nullptr;
    cancel_.reset();
    request_deadline_ = std::chrono::steady_clock::time_point::max();
    if (!keep_alive_) break;
  }
  co_await close();
}

// The part of reading a request that plain GETs skip: a failed head read (answered when the
// client deserves an answer), 100-continue, and the body. False when the connection should
// close (the client left, timed out, or was refused).
template <class Stream>
asio::awaitable<bool> Connection<Stream>::read_rest(
    bhttp::request_parser<bhttp::string_body>& parser, beast::error_code ec) {
  if (timed_out_) co_return false;  // the socket is closed: nothing to answer
  if (ec == bhttp::error::header_limit) {
    co_await reply_and_close(Status::request_header_fields_too_large,
                             "Request header fields too large");
    co_return false;
  }
  if (ec == bhttp::error::body_limit) {  // a Content-Length over the limit, seen in the head
    co_await reply_and_close(Status::payload_too_large, "Request body too large");
    co_return false;
  }
  if (ec) {
    if (ec != beast::error::timeout && ec != bhttp::error::end_of_stream &&
        ec != asio::error::operation_aborted && ec != asio::error::eof)
      co_await reply_and_close(Status::bad_request, "Bad Request");
    co_return false;
  }
  if (!acceptable_transfer_encoding(parser)) {
    // RFC 9112 §6.1: a request whose body length cannot be determined reliably is refused
    // and the connection closed, so no byte of it is taken for the next request.
    co_await reply_and_close(Status::bad_request, "Unsupported Transfer-Encoding");
    co_return false;
  }
  const auto length = parser.content_length();
  if (length && *length > state_.options.max_body_bytes) {
    co_await reply_and_close(Status::payload_too_large, "Request body too large");
    co_return false;
  }
  if (parser.get()[bhttp::field::expect] == "100-continue") {
    bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
    co_await bhttp::async_write(stream_, cont, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
  }
  // Trailer fields would be merged into the headers (a trailer X-Forwarded-For would be
  // believed): a chunked request that ends with any is refused.
  const auto fields_before_body = field_count(parser.get());
  if (!parser.is_done())
    co_await bhttp::async_read(stream_, buffer_, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && field_count(parser.get()) != fields_before_body) {
    co_await reply_and_close(Status::bad_request, "Trailer fields are not accepted");
    co_return false;
  }
  if (ec == bhttp::error::body_limit) {
    co_await reply_and_close(Status::payload_too_large, "Request body too large");
    co_return false;
  }
  if (ec) {
    if (ec != beast::error::timeout && ec != asio::error::operation_aborted)
      co_await reply_and_close(Status::bad_request, "Bad Request");
    co_return false;
  }
  co_return true;
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::handshake() {
  if constexpr (kTls) {
    beast::error_code ec;
    arm(state_.options.header_timeout);
    co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    disarm();
    co_return !ec;
  } else {
    co_return true;
  }
}

template <class Stream>
void Connection<Stream>::begin_request() {
  ctx_.reset();
  ctx_.client_ip = peer_;
  current_ = &ctx_;
}

// After the handler: releases what the chain deferred, stops the disconnect watch and runs the
// completion hook. True when `response` is to be written (not when the handler streamed).
// The hook runs before a plain response is written, so once a client holds its answer the
// request is already counted (metrics, access log); a stream completes after its last chunk.
template <class Stream>
bool Connection<Stream>::end_handler(Response& response) {
  ctx_.run_deferred();
  stop_disconnect_watch();
  if (ctx_.streamed) {
    if (state_.on_complete) state_.on_complete(ctx_, ctx_.streamed_status, ctx_.streamed_bytes);
    return false;
  }
  response.version(request_.version());
  response.keep_alive(keep_alive_ && !state_.stopping);
  if (state_.on_complete)
    state_.on_complete(ctx_, response.result_int(),
                        request_.method() == Verb::head ? 0 : response.body().size());
  return true;
}

// Transfer-Encoding set by a handler (rare): Beast's serializer, with the context's headers.
template <class Stream>
asio::awaitable<bool> Connection<Stream>::send_with_beast(Response& response) {
  apply_context_headers(response, ctx_);
  if (request_.method() == Verb::head) response.body().clear();
  co_return co_await send(response);
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::send(Response& response) {
  beast::error_code ec;
  arm_write();
  keep_alive_ = keep_alive_ && response.keep_alive();
  co_await bhttp::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::reply_and_close(Status status, std::string_view detail) {
  // Answered before the filters run, so the headers every response carries are set here:
  // a fresh request id (nothing from a head that failed to parse is echoed) and the
  // security headers.
  Response response = error_response(status, detail);
  response.set("X-Request-Id", generate_request_id());
  for (const auto& [name, value] : kSecurityHeaders) response.set(name, value);
  response.keep_alive(false);
  keep_alive_ = false;
  co_await send(response);
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::start(Response head) {
  if (!current_ || current_->streamed) co_return false;
  current_->streamed = true;
  current_->streamed_status = head.result_int();
  apply_context_headers(head, *current_);
  head.version(current_->request.version());
  head.keep_alive(keep_alive_ && !state_.stopping);
  keep_alive_ = head.keep_alive();
  head.chunked(true);
  head.body().clear();
  bhttp::response_serializer<bhttp::string_body> serializer{head};
  beast::error_code ec;
  arm_write();
  co_await bhttp::async_write_header(stream_, serializer,
                                     asio::redirect_error(asio::use_awaitable, ec));
  arm_request();  // the handler may wait for its next chunk, within the request's deadline
  if (ec) keep_alive_ = false;
  co_return !ec;
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::write(std::string data) {
  if (!current_ || !current_->streamed || data.empty()) co_return current_ != nullptr;
  beast::error_code ec;
  arm_write();
  co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(data)),
                             asio::redirect_error(asio::use_awaitable, ec));
  arm_request();
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
  arm_write();
  co_await asio::async_write(stream_, bhttp::make_chunk_last(),
                             asio::redirect_error(asio::use_awaitable, ec));
  disarm();
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
    arm(std::chrono::seconds(2));
    co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  lowest().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  lowest().close();
  closed_ = true;
  watchdog_.cancel();
}

template <class Stream>
void Connection<Stream>::arm(std::chrono::milliseconds timeout) {
  deadline_ = std::chrono::steady_clock::now() + timeout;
  if (watchdog_.expiry() > deadline_) watchdog_.cancel();  // asleep past it: wake to re-aim
}

template <class Stream>
void Connection<Stream>::arm_until(std::chrono::steady_clock::time_point when) {
  deadline_ = std::min(when, request_deadline_);
  if (watchdog_.expiry() > deadline_) watchdog_.cancel();
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::watch_deadline() {
  while (!closed_) {
    const auto now = std::chrono::steady_clock::now();
    if (deadline_ <= now) {
      timed_out_ = true;
      if (cancel_) cancel_->cancel();  // a handler waiting upstream stops too
      beast::error_code ec;
      lowest().socket().close(ec);  // the pending operation fails: the connection ends
      co_return;
    }
    watchdog_.expires_at(deadline_ == std::chrono::steady_clock::time_point::max()
                             ? now + std::chrono::hours(1)
                             : deadline_);
    beast::error_code ec;
    co_await watchdog_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace rag::http
