// What is recorded of every finished request: its rag_http_* series (http_metrics.hpp) and one
// JSON access-log line (logging.hpp). The HTTP server reports each finished request through
// its completion hook, which the composition root (src/app/) points here.
//
// Thread-safety: any thread (both parts are).
#pragma once

#include <string_view>

#include "observability/logging.hpp"

namespace rag::observability {

// `route`: the route-table pattern that answered, or "unmatched"; `record.path` is the path as
// the log may show it (the caller masks what must not be logged).
void record_finished_request(std::string_view route, const AccessRecord& record);

}  // namespace rag::observability
