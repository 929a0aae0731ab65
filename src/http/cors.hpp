// CORS with an exact-origin allowlist, answering as Starlette's CORSMiddleware does (the
// Python design's clients rely on it): preflights from allowed origins get 200 "OK" with the
// allow headers; from disallowed origins 400 "Disallowed CORS origin" and no CORS headers.
// `*` in the list allows any origin, and then never with credentials.
#pragma once

#include <string>
#include <vector>

#include "http/types.hpp"

namespace rag::http {

struct CorsPolicy {
  std::vector<std::string> allowed_origins;
  int max_age_seconds = 600;
};

Filter cors(CorsPolicy policy);

}  // namespace rag::http
