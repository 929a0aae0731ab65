// GET /openapi.json (the OpenAPI 3.1 description of the whole HTTP API) and its human page
// GET /docs, both from the assets compiled into the binary (src/web/assets/apidoc/). The
// document is hand-written (src/web/assets/apidoc/openapi.json, checked against the running
// server by tests/integration/test_openapi.py); at start-up the server fills in what only it
// knows: `info.version` and the configured input limits. The page is plain HTML/CSS/JS
// that fetches /openapi.json and renders it in the browser: no CDN, no inline script, served
// with a strict Content-Security-Policy.
//
// Thread-safety: call add_openapi_routes() during start-up; the handlers it registers hold
// immutable data and run on any thread. openapi_document() is a pure function.
#pragma once

#include <cstddef>
#include <string>

#include "http/router.hpp"

namespace rag::web {

struct OpenApiOptions {
  std::size_t max_message_chars = 8000;    // MAX_MESSAGE_CHARS: ChatRequest.message maxLength
  std::size_t max_history_messages = 200;  // MAX_HISTORY_MESSAGES: ChatRequest.history maxItems
  std::size_t max_history_chars = 16000;   // MAX_HISTORY_CHARS: HistoryItem.content maxLength
  std::size_t max_query_chars = 8000;      // MAX_QUERY_CHARS: SearchRequest.query maxLength
  std::string version = {};                // info.version; empty = this build's version
};

// Registers GET /openapi.json, GET /docs and GET /docs/{file} (the page's .js and .css).
void add_openapi_routes(http::Router& router, const OpenApiOptions& options = {});

// The document as served: the embedded openapi.json with the options applied (compact JSON).
// Should the embedded file not parse (the unit test forbids it), it is served as it is.
std::string openapi_document(const OpenApiOptions& options = {});

// The Content-Security-Policy of the /docs page.
inline constexpr const char* kDocsContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace rag::web
