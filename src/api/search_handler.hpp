// POST /search over HTTP: validation (422, MAX_QUERY_CHARS included), the Searcher, and the
// response of search_api.hpp.
#pragma once

#include <memory>

#include "api/input_limits.hpp"
#include "http/types.hpp"

namespace rag::retrieval {
class Searcher;
}

namespace rag::api {

// 503 {"detail": "Index not loaded"} + Retry-After while no index is loaded; 500
// {"detail": "Search failed"} on any other failure (details in the log, never the body).
// REQUIRES: `searcher` outlives the handler.
http::Handler search_handler(const retrieval::Searcher& searcher,
                             InputLimits limits = {});

}  // namespace rag::api
