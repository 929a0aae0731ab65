// Server-Sent Events for the conversation endpoints: event framing, the response head (docs/api.md:
// `Cache-Control: no-cache`, `X-Accel-Buffering: no`) and SseChannel, which serialises the
// writes of the handler and of its keep-alive pinger (`: ping` every interval while the
// handler waits on its upstream) onto one StreamWriter. A failed write means the client is
// gone: the channel then fires the request's cancel token, which cancels the upstream call.
//
// Thread-safety: SseChannel lives on the connection's strand; every method must be called
// from coroutines running on that strand (the handler's own executor).
#pragma once

#include <utility>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/cancel.hpp"
#include "http/types.hpp"

namespace rag::api {

inline constexpr std::chrono::seconds kSsePingInterval{15};

// "event: NAME\ndata: LINE\n...\n\n"; an empty `event` omits the event line. Each line of
// `data` becomes its own `data:` line, as the SSE format requires.
std::string sse_event(std::string_view event, std::string_view data);
// ": TEXT\n\n"
std::string sse_comment(std::string_view text);
// 200 with Content-Type text/event-stream, Cache-Control no-cache, X-Accel-Buffering no.
http::Response sse_head(unsigned version = 11);
// True when the request's Accept header asks for text/event-stream.
bool accepts_event_stream(const http::RequestContext& ctx);

class SseChannel {
 public:
  // REQUIRES: `writer` outlives the channel's finish().
  SseChannel(http::StreamWriter& writer, CancelToken cancel);
  ~SseChannel();
  SseChannel(const SseChannel&) = delete;
  SseChannel& operator=(const SseChannel&) = delete;

  boost::asio::awaitable<bool> start(http::Response head);
  // Queues `data` and writes it (or lets the write in progress take it). False once the client
  // is gone.
  boost::asio::awaitable<bool> send(std::string data);
  // Sends sse_comment("ping") every `interval` until finish().
  void start_pings(boost::asio::any_io_executor executor,
                   std::chrono::steady_clock::duration interval = kSsePingInterval);
  // Stops the pinger, waits for queued writes, ends the chunked body.
  boost::asio::awaitable<void> finish();

  bool ok() const;

 struct State;  // shared with the pinger coroutine

 private:
  std::shared_ptr<State> state_;
};

}  // namespace rag::api
