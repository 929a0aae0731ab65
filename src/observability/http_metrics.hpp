// Per-request HTTP metrics: rag_http_requests_total{route,method,status} and
// rag_http_request_duration_seconds{route,method}. Series are looked up in a per-thread cache
// after the first request of each kind, so recording takes no lock. Every label has a fixed set
// of values: `route` is a pattern of the route table or "unmatched", `status` one the server
// sends, and `method` goes through method_label(), whatever method a client invents.
#pragma once

#include <string_view>

namespace rag::observability {

// The method as a metric label: the standard methods of RFC 9110 and PATCH keep their name;
// any other token (HTTP allows any, and the parser accepts it) becomes "OTHER".
std::string_view method_label(std::string_view method);

void record_http_request(std::string_view route, std::string_view method, unsigned status,
                         double seconds);

}  // namespace rag::observability
