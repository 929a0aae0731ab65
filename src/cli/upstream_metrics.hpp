// Exposes an upstream adapter's counters and circuit state as Prometheus metrics
// (rag_upstream_*{upstream="chat"|"embeddings"}), read from its Stats at scrape time.
#pragma once

#include <functional>
#include <string>

#include "upstream/circuit_breaker.hpp"
#include "upstream/stats.hpp"

namespace rag::cli {

// Call at start-up only (single-threaded). REQUIRES: `stats` and what `circuit` reads live
// as long as the process serves /metrics.
void register_upstream_metrics(const std::string& upstream, const upstream::Stats* stats,
                               std::function<upstream::CircuitState()> circuit);

}  // namespace rag::cli
