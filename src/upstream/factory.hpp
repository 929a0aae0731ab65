// Builds the configured ChatModel and Embedder: Azure OpenAI when AZURE_OPENAI_*_ENDPOINT is
// set (POST exactly there, header `api-key`), else OpenAI-compatible when OPENAI_BASE_URL and
// CHAT_MODEL / EMBEDDINGS_MODEL are set (`{base}/chat/completions`, `{base}/embeddings`,
// `Authorization: Bearer`), else nullptr ("not configured"). Each adapter owns its HTTP
// client (keep-alive pool), retry policy, circuit breaker and counters.
//
// Thread-safety: the factories are plain functions; see chat_model.hpp / embedder.hpp for the
// objects they return. Call them once at start-up (cli/serve, cli/index, cli/check); destroy
// an adapter only after every call on it finished (in-flight calls reference it).
#pragma once

#include <utility>
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "config/config.hpp"
#include "upstream/caller.hpp"
#include "upstream/chat_model.hpp"
#include "upstream/circuit_breaker.hpp"
#include "upstream/embedder.hpp"
#include "upstream/http_client.hpp"
#include "upstream/retry_policy.hpp"

namespace rag::upstream {

// Everything about how an adapter calls its upstream; from_config() maps LLM_* and EMBED_*.
struct AdapterOptions {
  RetryPolicy::Options retry;
  RetryPolicy::Random random;  // jitter source; empty = default
  CircuitBreaker::Options breaker;
  RetryingCaller::Options call;
  HttpClient::Options http;
  int embed_batch_size = 16;
  // The longest chat answer read, streamed or not (bytes of content): a longer one fails as an
  // upstream error instead of growing without bound. 1 MiB is ~250k tokens of English.
  std::size_t max_answer_bytes = 1 << 20;
  Sleeper sleeper;  // empty = a real timer

  // LLM_MAX_RETRIES → attempts in all, LLM_BASE_DELAY / LLM_MAX_DELAY → backoff,
  // LLM_TIMEOUT → per attempt; the call's deadline = attempts × timeout + the waits between;
  // LLM_BREAKER_FAILURES / LLM_BREAKER_COOLDOWN → the circuit breaker.
  static AdapterOptions from_config(const config::Config& config);
};

std::unique_ptr<ChatModel> make_chat_model(const config::Config& config,
                                           boost::asio::any_io_executor executor);
std::unique_ptr<ChatModel> make_chat_model(const config::Config& config,
                                           boost::asio::any_io_executor executor,
                                           AdapterOptions options);

std::unique_ptr<Embedder> make_embedder(const config::Config& config,
                                        boost::asio::any_io_executor executor);
std::unique_ptr<Embedder> make_embedder(const config::Config& config,
                                        boost::asio::any_io_executor executor,
                                        AdapterOptions options);

}  // namespace rag::upstream
