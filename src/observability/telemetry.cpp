#include "observability/telemetry.hpp"

#include <string>

#include "observability/logging.hpp"

namespace rag::observability {

void publish_process_metrics(Telemetry& telemetry, std::string_view version) {
  auto& metrics = telemetry.metrics;
  metrics.callback("rag_process_resident_memory_bytes", "Resident memory of the process.", "gauge",
                   {}, resident_memory_bytes);
  metrics.callback("rag_build_info", "Build information.", "gauge",
                   {{"version", std::string(version)}}, [] { return 1.0; });
  metrics.callback("rag_access_log_dropped_lines_total",
                   "Access-log lines dropped because stdout did not drain.", "counter", {},
                   [] { return static_cast<double>(access_log_dropped_lines()); });
}

}  // namespace rag::observability
