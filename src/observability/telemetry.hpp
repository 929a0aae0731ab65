// What a part of the server publishes about itself: series read at scrape time (/metrics)
// and readiness checks (/readyz). The composition root (src/app/) hands a Telemetry to each
// part it builds, and the part registers its own series and checks, so no wiring code reaches
// into a part to read its counters or names its metrics for it.
//
// REQUIRES: whatever a registered callback or check reads outlives every scrape and every
// /readyz evaluation. The composition root guarantees it: it destroys the parts only after the
// HTTP server and every I/O context have stopped. One server runs per process; the registry
// is process-wide.
//
// Thread-safety: register during start-up (one thread); callbacks and checks then run on any
// thread, concurrently.
#pragma once

#include <string_view>

#include "observability/metrics.hpp"
#include "observability/readiness.hpp"

namespace rag::observability {

struct Telemetry {
  Registry& metrics;
  Readiness& readiness;
};

// The process's own series: rag_process_resident_memory_bytes, rag_build_info{version} and
// rag_access_log_dropped_lines_total.
void publish_process_metrics(Telemetry& telemetry, std::string_view version);

}  // namespace rag::observability
