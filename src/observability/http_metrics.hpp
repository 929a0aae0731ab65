// Per-request HTTP metrics: rag_http_requests_total{route,method,status} and
// rag_http_request_duration_seconds{route,method}. Series are looked up in a per-thread cache
// after the first request of each kind, so recording takes no lock.
#pragma once

#include <string_view>

namespace rag::observability {

void record_http_request(std::string_view route, std::string_view method, unsigned status,
                         double seconds);

}  // namespace rag::observability
