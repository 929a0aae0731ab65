// The chat side of an LLM provider: a complete answer, or token deltas as they arrive.
// Implementations: Azure OpenAI and OpenAI-compatible (upstream/adapters.*, built by
// factory.hpp).
//
// Thread-safety: implementations are shared by all requests; every method may be called
// concurrently from any thread of the server's io_context.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "upstream/circuit_breaker.hpp"
#include "upstream/stats.hpp"

namespace rag::upstream {

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  double temperature = 0.1;
  int max_tokens = 1000;
};

struct ChatAnswer {
  std::string content;
  std::string finish_reason;
  int prompt_tokens = 0;
  int completion_tokens = 0;
};

// Receives each content delta as it arrives; the stream waits for it before reading on.
using DeltaSink = std::function<boost::asio::awaitable<void>(std::string_view delta)>;

class ChatModel {
 public:
  virtual ~ChatModel() = default;

  // Errors: kRateLimited (429 after retries, retry_after_s set), kTimeout, kUnavailable
  // (connect errors, circuit open), kUpstream (other statuses, malformed bodies), kCancelled.
  virtual boost::asio::awaitable<Result<ChatAnswer>> complete(const ChatRequest& request,
                                                             CancelToken cancel) = 0;

  // Like complete(), but calls `sink` per delta. Retried only until the first delta was
  // delivered; after that a failure is returned as is. The answer holds the whole text.
  virtual boost::asio::awaitable<Result<ChatAnswer>> stream(const ChatRequest& request,
                                                           DeltaSink sink,
                                                           CancelToken cancel) = 0;

  // A short, secret-free description for logs and /readyz, e.g. "azure:gpt-4o".
  virtual std::string describe() const = 0;

  // Counters for the metrics module; nullptr when an implementation keeps none (test doubles).
  virtual const Stats* stats() const { return nullptr; }
  // The circuit breaker's state, for /readyz and metrics.
  virtual CircuitState circuit_state() const { return CircuitState::kClosed; }
};

}  // namespace rag::upstream
