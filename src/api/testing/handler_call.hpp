// Test helpers for the conversation handlers (tests only): a recording StreamWriter, a way to
// call a handler with a hand-built RequestContext, and an SSE parser.
#pragma once

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/field.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/types.hpp"

namespace rag::api::testing {

namespace asio = boost::asio;

class RecordingWriter : public http::StreamWriter {
 public:
  http::Response head;
  bool started = false;
  bool finished = false;
  std::vector<std::string> writes;
  int fail_from_write = -1;  // writes with this index and later fail (client gone)
  std::function<void(const std::string&)> on_write;

  asio::awaitable<bool> start(http::Response h) override {
    head = std::move(h);
    started = true;
    co_return true;
  }
  asio::awaitable<bool> write(std::string data) override {
    const int index = static_cast<int>(writes.size());
    writes.push_back(data);
    if (on_write) on_write(data);
    co_return fail_from_write < 0 || index < fail_from_write;
  }
  asio::awaitable<void> finish() override {
    finished = true;
    co_return;
  }
  std::string text() const {
    std::string all;
    for (const auto& w : writes) all += w;
    return all;
  }
};

struct Call {
  http::Request request;
  http::RequestContext ctx;
  RecordingWriter writer;
  bool watched = false;
  std::function<void()> on_watch;  // runs when the handler starts watching the connection

  Call(http::Verb verb, std::string target, std::string body = {},
       std::vector<std::pair<std::string, std::string>> headers = {})
      : request(verb, target, 11), ctx(request, "127.0.0.1") {
    request.set(boost::beast::http::field::content_type, "application/json");
    for (auto& [k, v] : headers) request.set(k, v);
    request.body() = std::move(body);
    request.prepare_payload();
    ctx.cancel = make_cancel_token();
    ctx.stream = &writer;
    ctx.watch_disconnect = [this] {
      watched = true;
      if (on_watch) on_watch();
    };
  }
  Call(const Call&) = delete;

  // Runs `handler` on a private io_context until it returns.
  http::Response run(const http::Handler& handler) {
    asio::io_context ioc;
    ioc_ = &ioc;
    auto future = asio::co_spawn(ioc, handler(ctx), asio::use_future);
    ioc.run();
    ioc_ = nullptr;
    return future.get();
  }
  asio::io_context* ioc_ = nullptr;
};

struct SseEvent {
  std::string event;  // "" for data-only events
  std::string data;
  bool comment = false;
};

inline std::vector<SseEvent> parse_sse(const std::string& text) {
  std::vector<SseEvent> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find("\n\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string block = text.substr(pos, end - pos);
    pos = end + 2;
    SseEvent e;
    std::size_t lp = 0;
    bool any = false;
    while (lp <= block.size()) {
      auto nl = block.find('\n', lp);
      std::string line = block.substr(lp, nl == std::string::npos ? std::string::npos : nl - lp);
      if (line.rfind(": ", 0) == 0 || line == ":") {
        e.comment = true;
        e.data = line.size() > 2 ? line.substr(2) : "";
        any = true;
      } else if (line.rfind("event: ", 0) == 0) {
        e.event = line.substr(7);
        any = true;
      } else if (line.rfind("data: ", 0) == 0) {
        if (!e.data.empty()) e.data += '\n';
        e.data += line.substr(6);
        any = true;
      }
      if (nl == std::string::npos) break;
      lp = nl + 1;
    }
    if (any) out.push_back(e);
  }
  return out;
}

inline nlohmann::json body_json(const http::Response& r) { return nlohmann::json::parse(r.body()); }

}  // namespace rag::api::testing
