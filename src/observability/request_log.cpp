#include "observability/request_log.hpp"

#include "observability/http_metrics.hpp"

namespace rag::observability {

void record_finished_request(std::string_view route, const AccessRecord& record) {
  record_http_request(route, record.method, record.status, record.duration_ms / 1000.0);
  write_access_log(record);
}

}  // namespace rag::observability
