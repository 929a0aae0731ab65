// GET /ui: the chat page, and GET /ui/{file}: its script, style sheet and icon, all from the
// assets compiled into the binary (src/web/assets/ui/; see docs/ui.md). The page is plain
// HTML/CSS/JS that talks to the public API only (POST /chat with SSE, DELETE /sessions/{id},
// GET /sessions/{id}/history, GET /), so it has no server-side logic of its own. Every answer
// carries a strict Content-Security-Policy (same origin only, no inline script or style) and an
// ETag; `Cache-Control: no-cache` makes browsers revalidate, so a new binary is never served
// with a stale script, and an unchanged file costs a 304. An unknown file is a JSON 404.
// GET /ui/source?url=<citation url> renders the indexed text of one source (its chunks in
// order, under their section headings, HTML-escaped) so that a relative citation url such as
// "/configuration" opens somewhere with its text fragment when no published site is known; its
// style sheet is inline, allowed by hash in its own policy (see source_page).
//
// Thread-safety: call add_ui_routes() during start-up; the handlers it registers hold
// immutable data and run on any thread (UiOptions::source_lookup must allow that too).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "http/router.hpp"

namespace rag::web {

// One source (a page of the indexed site) as GET /ui/source shows it.
struct SourceChunk {
  std::string section;  // the chunk's `section` metadata ("" when absent)
  std::string text;
  // Leading bytes of `text` that repeat the previous chunk of the section: the splitter's
  // overlap, as the index records it (store::ChunkMetadata::overlap).
  std::size_t overlap = 0;
};
struct SourceDoc {
  std::string title;  // `page_title` ("" when absent: the url is shown instead)
  std::string url;    // `citation_url`
  std::vector<SourceChunk> chunks;  // in chunk order
};

// The chunks of the source whose citation url is `url`, or nullopt when the loaded index has
// none; an error when the index cannot say (a 503). Called from any I/O thread, concurrently;
// it may block briefly.
using SourceLookup = std::function<Result<std::optional<SourceDoc>>(std::string_view url)>;

// Appends one chunk of the index to `doc`; the chunk's `page_title` becomes the doc's title while
// it has none. Pure.
void add_source_chunk(SourceDoc& doc, SourceChunk chunk, std::string_view page_title);

struct UiOptions {
  // Where the indexed site is published (e.g. "https://docs.example.org/"): relative citation
  // urls such as "/configuration" are linked there. Only this setting decides it (the page
  // ignores its own address, so a crafted link cannot redirect citations). Empty: they open
  // the server's own copy, GET /ui/source. Only http(s) urls are used.
  std::string site_url = {};
  // Backs GET /ui/source; without it every source is a 404.
  SourceLookup source_lookup = {};
};

// Registers GET /ui (and /ui/, the same page), GET /ui/source and GET /ui/{file}.
void add_ui_routes(http::Router& router, const UiOptions& options = {});

// The page as served: index.html with `options` filled in (the site url goes, HTML-escaped,
// into `<meta name="rag-site" content="...">`). Pure.
std::string ui_page(std::string_view index_html, const UiOptions& options);

// The source page: title, url and every chunk as its own block (a chunk's leading paragraphs
// that repeat the end of the previous chunk of the same section, the splitter's overlap, are
// left out), grouped under section headings; all text HTML-escaped; no script. `style` (the
// chat page's app.css as served) goes inline in one <style> element, allowed by its hash
// (source_page_csp), rather than linked, so that the page is styled from its first layout: the
// browser scrolls to the cited passage's text fragment once, on the layout it has then. (With
// the sheet linked, the browser tests saw it scroll, under load, to where the passage would be
// on a page ~1.6x shorter, as the unstyled text is.) Pure.
std::string source_page(const SourceDoc& doc, std::string_view style = {});

// The source page's Content-Security-Policy: kUiContentSecurityPolicy with style-src allowing
// only the inline `style`, by its SHA-256 hash. Pure.
std::string source_page_csp(std::string_view style);

// A strong ETag for `body`: a quoted 64-bit FNV-1a hash in hex. Pure.
std::string asset_etag(std::string_view body);

// The Content-Security-Policy sent with every /ui answer but the source page's.
inline constexpr const char* kUiContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace rag::web
