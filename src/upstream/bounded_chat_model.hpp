// A ChatModel decorator that bounds the calls in flight: past `max_in_flight` a call fails at
// once with kOverloaded (503 + Retry-After to the client) instead of queueing, so a flood of
// chats never grows memory or upstream load without limit (MAX_UPSTREAM_CALLS).
//
// Thread-safety: as ChatModel; the count is an atomic.
#pragma once

#include <atomic>
#include <memory>

#include "upstream/chat_model.hpp"

namespace rag::observability {
struct Telemetry;
}

namespace rag::upstream {

class BoundedChatModel final : public ChatModel {
 public:
  BoundedChatModel(std::unique_ptr<ChatModel> inner, std::size_t max_in_flight)
      : inner_(std::move(inner)), max_(max_in_flight) {}

  boost::asio::awaitable<Result<ChatAnswer>> complete(const ChatRequest& request,
                                                      CancelToken cancel) override;
  boost::asio::awaitable<Result<ChatAnswer>> stream(const ChatRequest& request, DeltaSink sink,
                                                    CancelToken cancel) override;
  std::string describe() const override { return inner_->describe(); }
  const Stats* stats() const override { return inner_->stats(); }
  CircuitState circuit_state() const override { return inner_->circuit_state(); }

  std::size_t in_flight() const { return in_flight_.load(); }
  std::uint64_t refused() const { return refused_.load(); }
  // rag_upstream_calls_refused_total. At start-up; REQUIRES: this outlives every scrape.
  void publish(observability::Telemetry& telemetry) const;

 private:
  bool admit();

  std::unique_ptr<ChatModel> inner_;
  const std::size_t max_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace rag::upstream
