// GET / (the Python design's status object), GET /healthz (liveness), GET /readyz (readiness).
#pragma once

#include <memory>
#include <string>

#include "http/types.hpp"
#include "observability/readiness.hpp"

namespace rag::api {

// {"message": server_name, "status": "running", "timestamp": "2024-01-15T10:30:45.123456"}
http::Handler root(std::string server_name);
// {"status": "alive"}: answers as long as the process serves requests.
http::Handler healthz();
// 200 {"status": "ready", "checks": {...}} or 503 {"status": "not ready", "reasons": [...], ...}
http::Handler readyz(const observability::Readiness& readiness);  // REQUIRES: outlives it

}  // namespace rag::api
