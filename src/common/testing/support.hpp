// Test-only helpers for any module's tests (docs/ARCHITECTURE.md, "Testing layers": a
// module's helpers live in its testing/ folder): an io_context run by background threads, a
// bounded way to run a coroutine to completion from a test body, a bounded wait on a
// condition, and a capture of spdlog's default logger.
// Thread-safety: IoThreads and LogCapture are used from the test thread; LogCapture's sink is
// safe from any thread.
#pragma once

#include <utility>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace rag::testing {

namespace asio = boost::asio;

// An io_context run by `n` threads until join() or destruction.
class IoThreads {
 public:
  explicit IoThreads(int n = 2) : guard_(asio::make_work_guard(ioc_)) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  // Abandons what is still queued (e.g. idle keep-alive connections' reads), then joins.
  ~IoThreads() {
    guard_.reset();
    ioc_.stop();
    join();
  }
  // Lets the io_context finish its remaining work (call after stopping clients), then joins.
  void join() {
    guard_.reset();
    for (auto& t : threads_) if (t.joinable()) t.join();
  }
  asio::io_context& ioc() { return ioc_; }
  asio::any_io_executor executor() { return ioc_.get_executor(); }

  // Runs `a` on the io_context and waits at most `limit` for its result.
  template <class T>
  T run(asio::awaitable<T> a, std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto future = asio::co_spawn(ioc_, std::move(a), asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready)
      throw std::runtime_error("coroutine did not finish in time");
    return future.get();
  }

 private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

// Polls `pred` every 10 ms until it holds or `timeout` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Replaces the default logger for the lifetime of the object.
class LogCapture {
 public:
  LogCapture()
      : previous_(spdlog::default_logger()),
        sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10000)) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  std::string text() {
    std::string out;
    for (auto& line : sink_->last_formatted()) out += line;
    return out;
  }
  int count(const std::string& needle) {
    const std::string t = text();
    int n = 0;
    for (size_t pos = t.find(needle); pos != std::string::npos; pos = t.find(needle, pos + 1)) ++n;
    return n;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace rag::testing
