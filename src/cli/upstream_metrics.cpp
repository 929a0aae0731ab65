#include "cli/upstream_metrics.hpp"

#include "observability/metrics.hpp"

namespace rag::cli {
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

}  // namespace

void register_upstream_metrics(const std::string& upstream,
                               std::weak_ptr<const upstream::Stats> stats,
                               std::function<upstream::CircuitState()> circuit) {
  auto& registry = observability::Registry::global();
  const observability::Labels labels{{"upstream", upstream}};
  registry.callback("rag_upstream_circuit_open", "1 while the circuit breaker fails fast.",
                    "gauge", labels, [circuit] {
                      return circuit() == upstream::CircuitState::kOpen ? 1.0 : 0.0;
                    });
  if (stats.expired()) return;
  // The value of `field` now, or 0 once the adapter is gone (only during shutdown).
  auto read = [stats](auto field) -> double {
    auto live = stats.lock();
    return live ? static_cast<double>(live->snapshot().*field) : 0.0;
  };
  auto counter = [&](const char* name, const char* help, auto field) {
    registry.callback(name, help, "counter", labels, [read, field] { return read(field); });
  };
  using S = upstream::StatsSnapshot;
  counter("rag_upstream_calls_total", "Calls to the upstream (one per request).", &S::calls);
  counter("rag_upstream_attempts_total", "HTTP attempts, retries included.", &S::attempts);
  counter("rag_upstream_retries_total", "Attempts after the first of a call.", &S::retries);
  counter("rag_upstream_429_total", "429 answers received from the upstream.",
          &S::rate_limited_429);
  const std::pair<const char*, std::uint64_t S::*> kinds[] = {
      {"timeout", &S::failures_timeout},   {"unavailable", &S::failures_unavailable},
      {"rate_limited", &S::failures_rate_limited}, {"upstream", &S::failures_upstream},
      {"cancelled", &S::failures_cancelled}, {"other", &S::failures_other}};
  for (const auto& [kind, field] : kinds) {
    registry.callback("rag_upstream_failures_total", "Failed calls by kind.", "counter",
                      {{"upstream", upstream}, {"kind", kind}},
                      [read, field = field] { return read(field); });
  }
  // One collector renders the latency family for every upstream (one # TYPE line in all).
  static std::vector<std::pair<std::string, std::weak_ptr<const upstream::Stats>>> histograms;
  histograms.emplace_back(upstream, stats);
  if (histograms.size() > 1) return;
  registry.collector([](std::string& out) {
    const std::string name = "rag_upstream_call_duration_seconds";
    append_family(out, name, "histogram", "Upstream call latency (retries and waits included).");
    for (const auto& [upstream_name, weak_stats] : histograms) {
      const auto upstream_stats = weak_stats.lock();
      if (!upstream_stats) continue;
      const auto snap = upstream_stats->snapshot();
      const std::string label = "upstream=\"" + upstream_name + "\"";
      for (size_t i = 0; i < upstream::kLatencyBuckets.size(); ++i)
        out += name + "_bucket{" + label + ",le=\"" + number(upstream::kLatencyBuckets[i]) +
               "\"} " + std::to_string(snap.latency_buckets[i]) + "\n";
      out += name + "_bucket{" + label + ",le=\"+Inf\"} " +
             std::to_string(snap.latency_buckets.back()) + "\n";
      out += name + "_sum{" + label + "} " + number(snap.latency_sum_s) + "\n";
      out += name + "_count{" + label + "} " + std::to_string(snap.latency_count) + "\n";
    }
  });
}

}  // namespace rag::cli
