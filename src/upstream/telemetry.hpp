// What the server publishes about its upstreams: the adapter's counters, latency and circuit
// state as Prometheus series labelled {upstream="chat"|"embeddings"} (docs/operations.md,
// "Metrics"), and a readiness check named "<label>_upstream". Running without an upstream is a
// mode (extractive answers, lexical search), not a failure: its check is always ready and says
// which mode. /readyz answers anyone, so it says the state only; which deployment or model is
// used goes to the log, once, when published.
//
// Thread-safety: call at start-up only (one thread); see observability/telemetry.hpp.
#pragma once

#include <string_view>

#include "observability/telemetry.hpp"
#include "upstream/chat_model.hpp"
#include "upstream/embedder.hpp"

namespace rag::upstream {

// How one upstream is named in metrics, readiness and the log.
struct UpstreamRole {
  std::string_view label;        // the metrics label and the readiness check's prefix
  std::string_view log_name;     // "Chat upstream"
  std::string_view when_absent;  // the readiness detail without an upstream
};

inline constexpr UpstreamRole kChatRole{"chat", "Chat upstream",
                                        "not configured: extractive answers"};
inline constexpr UpstreamRole kEmbeddingsRole{"embeddings", "Embeddings upstream",
                                              "not configured: lexical search"};

// Publishes both upstreams at once (their latency histograms are one metric family). Either
// may be null (not configured). REQUIRES: `chat` and `embedder` outlive every scrape and
// readiness evaluation (observability/telemetry.hpp).
void publish(observability::Telemetry& telemetry, const ChatModel* chat, const Embedder* embedder);

}  // namespace rag::upstream
