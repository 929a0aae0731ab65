// The embeddings side of an LLM provider: a batch of texts → one vector each, in order.
//
// Thread-safety: shared; embed() may be called concurrently from any io_context thread.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "upstream/circuit_breaker.hpp"
#include "upstream/stats.hpp"

namespace rag::upstream {

using Vector = std::vector<float>;

class Embedder {
 public:
  virtual ~Embedder() = default;

  // Splits `texts` into requests of at most the configured batch size (halving on a
  // "too many inputs" 400 or a 413), retries per policy, and returns vectors in input order.
  virtual boost::asio::awaitable<Result<std::vector<Vector>>> embed(
      std::vector<std::string> texts, CancelToken cancel) = 0;

  // The model's name as recorded in the index ("text-embedding-3-small", or the Azure
  // deployment name); vectors from different models are never mixed.
  virtual std::string model_name() const = 0;

  // Counters for the metrics module; nullptr when an implementation keeps none (test doubles).
  virtual const Stats* stats() const { return nullptr; }
  // The circuit breaker's state, for /readyz and metrics.
  virtual CircuitState circuit_state() const { return CircuitState::kClosed; }
};

}  // namespace rag::upstream
