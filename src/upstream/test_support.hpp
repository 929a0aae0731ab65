// Test-only helpers for the upstream tests that run against the in-process fake upstream:
// an io_context on its own threads, a bounded way to run a coroutine to completion, a
// captured spdlog log, and configs pointing at the fake.
#pragma once

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "fake_upstream.hpp"
#include "upstream/factory.hpp"

namespace rag::upstream::testing {

inline const char* kAzureKey = "azure-KEY-0123456789abcdef";
inline const char* kOpenAiKey = "sk-openai-KEY-fedcba9876543210";

// An io_context run by `threads` threads until destroyed.
class IoThreads {
 public:
  explicit IoThreads(int threads = 2) : work_(ioc_.get_executor()) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~IoThreads() {
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }
  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }

  // Runs `a` on the io_context and waits at most `limit` for its result.
  template <class T>
  T run(boost::asio::awaitable<T> a, std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto future = boost::asio::co_spawn(ioc_, std::move(a), boost::asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready)
      throw std::runtime_error("coroutine did not finish in time");
    return future.get();
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

// Routes spdlog's default logger into a string for the life of this object.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return stream_.str();
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

inline config::Config azure_config(const std::string& base) {
  config::Config c;
  c.azure_chat_endpoint =
      base + "/openai/deployments/gpt-test/chat/completions?api-version=2024-02-01";
  c.azure_chat_api_key = config::Secret(kAzureKey);
  c.azure_embeddings_endpoint =
      base + "/openai/deployments/embed-test/embeddings?api-version=2024-02-01";
  c.azure_embeddings_api_key = config::Secret(kAzureKey);
  return c;
}

inline config::Config openai_config(const std::string& base) {
  config::Config c;
  c.openai_base_url = base + "/v1";
  c.openai_api_key = config::Secret(kOpenAiKey);
  c.chat_model = "gpt-fake";
  c.embeddings_model = "embed-fake";
  return c;
}

// Fast retries: 3 attempts, 50 ms base, no jitter, 2 s per attempt.
inline AdapterOptions fast_options() {
  AdapterOptions o;
  o.retry.max_attempts = 3;
  o.retry.base_delay = Seconds(0.05);
  o.retry.max_delay = Seconds(1.0);
  o.retry.jitter = 0;
  o.call.attempt_timeout = std::chrono::milliseconds(2000);
  o.call.deadline = std::chrono::milliseconds(20000);
  o.breaker.failure_threshold = 1000;
  return o;
}

}  // namespace rag::upstream::testing
