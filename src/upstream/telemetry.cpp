#include "upstream/telemetry.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rag::upstream {
namespace {

void append_family(std::string& out, const std::string& name, const std::string& type,
                   const std::string& help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// The parts of an adapter the telemetry reads, whichever side of the provider it calls.
struct Published {
  UpstreamRole role;
  const Stats* stats = nullptr;  // null: the adapter keeps no counters (test doubles)
  std::function<CircuitState()> circuit;
};

void add_readiness(observability::Readiness& readiness, const UpstreamRole& role,
                   std::function<CircuitState()> circuit) {
  const std::string name = std::string(role.label) + "_upstream";
  if (!circuit) {
    readiness.add({name, [] { return std::optional<std::string>(); },
                   [absent = std::string(role.when_absent)] { return absent; }});
    return;
  }
  readiness.add(
      {name,
       [circuit]() -> std::optional<std::string> {
         if (circuit() == CircuitState::kOpen) return "circuit open (upstream failing)";
         return std::nullopt;
       },
       [circuit] { return "configured (circuit " + std::string(to_string(circuit())) + ")"; }});
}

void add_series(observability::Registry& registry, const Published& upstream) {
  const observability::Labels labels{{"upstream", std::string(upstream.role.label)}};
  registry.callback(
      "rag_upstream_circuit_open", "1 while the circuit breaker fails fast.", "gauge", labels,
      [circuit = upstream.circuit] { return circuit() == CircuitState::kOpen ? 1.0 : 0.0; });
  if (!upstream.stats) return;
  const Stats* stats = upstream.stats;
  auto counter = [&](const char* name, const char* help, auto field,
                     const observability::Labels& series_labels) {
    registry.callback(name, help, "counter", series_labels,
                      [stats, field] { return static_cast<double>(stats->snapshot().*field); });
  };
  using S = StatsSnapshot;
  counter("rag_upstream_calls_total", "Calls to the upstream (one per request).", &S::calls,
          labels);
  counter("rag_upstream_attempts_total", "HTTP attempts, retries included.", &S::attempts, labels);
  counter("rag_upstream_retries_total", "Attempts after the first of a call.", &S::retries, labels);
  counter("rag_upstream_429_total", "429 answers received from the upstream.", &S::rate_limited_429,
          labels);
  const std::pair<const char*, std::uint64_t S::*> kinds[] = {
      {"timeout", &S::failures_timeout},           {"unavailable", &S::failures_unavailable},
      {"rate_limited", &S::failures_rate_limited}, {"upstream", &S::failures_upstream},
      {"cancelled", &S::failures_cancelled},       {"other", &S::failures_other}};
  for (const auto& [kind, field] : kinds)
    counter("rag_upstream_failures_total", "Failed calls by kind.", field,
            {{"upstream", std::string(upstream.role.label)}, {"kind", kind}});
}

// One collector renders the latency family of every upstream (one # TYPE line in all).
void add_latency(observability::Registry& registry, std::vector<Published> upstreams) {
  std::erase_if(upstreams, [](const Published& u) { return u.stats == nullptr; });
  if (upstreams.empty()) return;
  registry.collector([upstreams = std::move(upstreams)](std::string& out) {
    const std::string name = "rag_upstream_call_duration_seconds";
    append_family(out, name, "histogram", "Upstream call latency (retries and waits included).");
    for (const auto& upstream : upstreams) {
      const auto snap = upstream.stats->snapshot();
      const std::string label = "upstream=\"" + std::string(upstream.role.label) + "\"";
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i)
        out += name + "_bucket{" + label + ",le=\"" + number(kLatencyBuckets[i]) + "\"} " +
               std::to_string(snap.latency_buckets[i]) + "\n";
      out += name + "_bucket{" + label + ",le=\"+Inf\"} " +
             std::to_string(snap.latency_buckets.back()) + "\n";
      out += name + "_sum{" + label + "} " + number(snap.latency_sum_s) + "\n";
      out += name + "_count{" + label + "} " + std::to_string(snap.latency_count) + "\n";
    }
  });
}

template <class Model>
std::optional<Published> published(const UpstreamRole& role, const Model* model,
                                   const std::string& description) {
  if (!model) return std::nullopt;
  spdlog::info("{}: {}", role.log_name, description);
  return Published{role, model->stats(), [model] { return model->circuit_state(); }};
}

}  // namespace

void publish(observability::Telemetry& telemetry, const ChatModel* chat, const Embedder* embedder) {
  const auto chat_side = published(kChatRole, chat, chat ? chat->describe() : std::string());
  const auto embed_side =
      published(kEmbeddingsRole, embedder, embedder ? embedder->model_name() : std::string());
  add_readiness(telemetry.readiness, kChatRole,
                chat_side ? chat_side->circuit : std::function<CircuitState()>());
  add_readiness(telemetry.readiness, kEmbeddingsRole,
                embed_side ? embed_side->circuit : std::function<CircuitState()>());
  std::vector<Published> upstreams;
  for (const auto& side : {chat_side, embed_side}) {
    if (!side) continue;
    add_series(telemetry.metrics, *side);
    upstreams.push_back(*side);
  }
  add_latency(telemetry.metrics, std::move(upstreams));
}

}  // namespace rag::upstream
