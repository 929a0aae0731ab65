#include "api/sse.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <optional>

namespace rag::api {

namespace asio = boost::asio;

std::string sse_event(std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(event.size() + data.size() + 16);
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  std::size_t pos = 0;
  for (;;) {
    const auto nl = data.find('\n', pos);
    auto line = data.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  out += '\n';
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  out += text;
  out += "\n\n";
  return out;
}

http::Response sse_head(unsigned version) {
  http::Response head{http::Status::ok, version};
  head.set(boost::beast::http::field::content_type, "text/event-stream; charset=utf-8");
  head.set(boost::beast::http::field::cache_control, "no-cache");
  head.set("X-Accel-Buffering", "no");
  return head;
}

bool accepts_event_stream(const http::RequestContext& ctx) {
  return ctx.header("Accept").find("text/event-stream") != std::string_view::npos;
}

// Invariants: at most one coroutine is inside writer.write() (the one that set `writing`); it
// drains `pending` before clearing `writing`. `idle` is a timer used as a condition: waiters
// wait on it, and the writer cancels it when it stops writing.
struct SseChannel::State {
  http::StreamWriter* writer;
  CancelToken cancel;
  std::string pending;
  bool writing = false;
  bool failed = false;
  bool closed = false;
  std::optional<asio::steady_timer> idle;
  std::optional<asio::steady_timer> ping_timer;
};

SseChannel::SseChannel(http::StreamWriter& writer, CancelToken cancel)
    : state_(std::make_shared<State>()) {
  state_->writer = &writer;
  state_->cancel = std::move(cancel);
}

SseChannel::~SseChannel() {
  state_->closed = true;
  if (state_->ping_timer) state_->ping_timer->cancel();
}

bool SseChannel::ok() const { return !state_->failed; }

asio::awaitable<bool> SseChannel::start(http::Response head) {
  auto executor = co_await asio::this_coro::executor;
  state_->idle.emplace(executor);
  if (!co_await state_->writer->start(std::move(head))) {
    state_->failed = true;
    if (state_->cancel) state_->cancel->cancel();
  }
  co_return !state_->failed;
}

namespace {

asio::awaitable<bool> send_on(std::shared_ptr<SseChannel::State> s, std::string data) {
  if (s->failed || s->closed) co_return false;
  s->pending += data;
  if (s->writing) co_return true;  // the active writer takes it
  s->writing = true;
  while (!s->pending.empty() && !s->failed) {
    std::string chunk;
    chunk.swap(s->pending);
    if (!co_await s->writer->write(std::move(chunk))) {
      s->failed = true;
      s->pending.clear();
      if (s->cancel) s->cancel->cancel();  // the client is gone: stop the upstream call
    }
  }
  s->writing = false;
  if (s->idle) s->idle->cancel();
  co_return !s->failed;
}

}  // namespace

asio::awaitable<bool> SseChannel::send(std::string data) {
  co_return co_await send_on(state_, std::move(data));
}

void SseChannel::start_pings(asio::any_io_executor executor,
                             std::chrono::steady_clock::duration interval) {
  state_->ping_timer.emplace(executor);
  asio::co_spawn(
      executor,
      [s = state_, interval]() -> asio::awaitable<void> {
        while (!s->closed && !s->failed) {
          s->ping_timer->expires_after(interval);
          boost::system::error_code ec;
          co_await s->ping_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
          if (s->closed || s->failed) break;
          co_await send_on(s, sse_comment("ping"));
        }
      },
      asio::detached);
}

asio::awaitable<void> SseChannel::finish() {
  auto s = state_;
  s->closed = true;
  if (s->ping_timer) s->ping_timer->cancel();
  while (s->writing && s->idle) {
    s->idle->expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await s->idle->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!s->failed) co_await s->writer->finish();
}

}  // namespace rag::api
