// Exposes an upstream adapter's counters and circuit state as Prometheus metrics
// (rag_upstream_*{upstream="chat"|"embeddings"}), read from its Stats at scrape time.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "upstream/circuit_breaker.hpp"
#include "upstream/stats.hpp"

namespace rag::cli {

// Call at start-up only (single-threaded). The metrics registry is process-wide and outlives
// the adapters, so it holds them weakly: `stats` (an aliasing pointer into the adapter) and
// `circuit` (which should capture the adapter weakly too) stop reporting once it is gone,
// and the adapter dies with the server's parts, while its I/O context still exists.
void register_upstream_metrics(const std::string& upstream,
                               std::weak_ptr<const upstream::Stats> stats,
                               std::function<upstream::CircuitState()> circuit);

}  // namespace rag::cli
