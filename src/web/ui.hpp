// GET /ui: the chat page, and GET /ui/{file}: its script, style sheet and icon, all from the
// assets compiled into the binary (src/web/assets/ui/; see docs/ui.md). The page is plain
// HTML/CSS/JS that talks to the public API only (POST /chat with SSE, DELETE /sessions/{id},
// GET /sessions/{id}/history, GET /), so it has no server-side logic of its own. Every answer
// carries a strict Content-Security-Policy (same origin only, no inline script or style) and an
// ETag; `Cache-Control: no-cache` makes browsers revalidate, so a new binary is never served
// with a stale script, and an unchanged file costs a 304. An unknown file is a JSON 404.
//
// Thread-safety: call add_ui_routes() during start-up; the handlers it registers hold
// immutable data and run on any thread.
#pragma once

#include <string>
#include <string_view>

#include "http/router.hpp"

namespace rag::web {

struct UiOptions {
  // Where the indexed site is published (e.g. "https://docs.example.org/"): relative citation
  // urls such as "/configuration" are linked there. Empty: the page falls back to its `?site=`
  // parameter, then to the server's own origin. Only http(s) urls are used.
  std::string site_url;
};

// Registers GET /ui (and /ui/, the same page) and GET /ui/{file}.
void add_ui_routes(http::Router& router, const UiOptions& options = {});

// The page as served: index.html with `options` filled in (the site url goes, HTML-escaped,
// into `<meta name="rag-site" content="...">`). Pure.
std::string ui_page(std::string_view index_html, const UiOptions& options);

// A strong ETag for `body`: a quoted 64-bit FNV-1a hash in hex. Pure.
std::string asset_etag(std::string_view body);

// The Content-Security-Policy sent with every /ui answer.
inline constexpr const char* kUiContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace rag::web
