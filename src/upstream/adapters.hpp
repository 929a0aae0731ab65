// Internal to upstream/: the concrete chat and embeddings adapters behind ChatModel and
// Embedder. Azure and OpenAI-compatible differ only in the Endpoint (URL, auth header, model
// field), so one class serves both.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "upstream/factory.hpp"
#include "upstream/stats.hpp"

namespace rag::upstream {

struct Endpoint {
  Url url;
  std::string auth_header;  // "api-key" or "authorization"
  std::string auth_value;   // the key, or "Bearer " + key; goes on the wire only
  std::string model;        // the body's "model" field; empty for Azure
  std::string description;  // "azure:my-deployment", "openai:gpt-4o-mini"
  std::string model_name;   // the model as recorded in the index
};

// Replaces every secret occurrence in `text` by "***".
std::string redact(std::string text, const std::vector<std::string>& secrets);

// Everything one adapter needs to make calls; shared by the chat and embeddings adapters.
class AdapterCore {
 public:
  AdapterCore(Endpoint endpoint, AdapterOptions options, boost::asio::any_io_executor executor);

  HttpRequest request(std::string body) const;
  // The error for a non-2xx answer the policy does not retry (4xx): status + upstream message.
  Error status_error(const HttpResponse& response) const;
  Error clean(Error error) const;  // redacts secrets from the message

  const Endpoint& endpoint() const { return endpoint_; }
  const AdapterOptions& options() const { return options_; }
  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }
  CircuitBreaker& breaker() { return breaker_; }
  const CircuitBreaker& breaker() const { return breaker_; }
  RetryingCaller& caller() { return caller_; }

 private:
  Endpoint endpoint_;
  AdapterOptions options_;
  std::vector<std::string> secrets_;
  Stats stats_;
  CircuitBreaker breaker_;
  HttpClient client_;
  RetryingCaller caller_;
};

class OpenAiChatModel final : public ChatModel {
 public:
  OpenAiChatModel(Endpoint endpoint, AdapterOptions options,
                  boost::asio::any_io_executor executor);

  boost::asio::awaitable<Result<ChatAnswer>> complete(const ChatRequest& request,
                                                     CancelToken cancel) override;
  boost::asio::awaitable<Result<ChatAnswer>> stream(const ChatRequest& request, DeltaSink sink,
                                                   CancelToken cancel) override;
  std::string describe() const override { return core_.endpoint().description; }
  const Stats* stats() const override { return &core_.stats(); }
  CircuitState circuit_state() const override { return core_.breaker().state(); }

 private:
  AdapterCore core_;
};

class OpenAiEmbedder final : public Embedder {
 public:
  OpenAiEmbedder(Endpoint endpoint, AdapterOptions options, boost::asio::any_io_executor executor);

  boost::asio::awaitable<Result<std::vector<Vector>>> embed(std::vector<std::string> texts,
                                                           CancelToken cancel) override;
  std::string model_name() const override { return core_.endpoint().model_name; }
  const Stats* stats() const override { return &core_.stats(); }
  CircuitState circuit_state() const override { return core_.breaker().state(); }
  // The batch size in use now (halves after a "too many inputs" answer).
  int batch_size() const { return batch_size_.load(); }

 private:
  AdapterCore core_;
  std::atomic<int> batch_size_;
};

}  // namespace rag::upstream
