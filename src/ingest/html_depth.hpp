// A bound on how deeply an HTML file nests its elements, checked before gumbo parses it.
// gumbo 0.10.1 costs time quadratic in the nesting depth (100,000 nested <div> take 40 s; with
// its error list, 30,000 take 7 GB), frees its tree recursively, and the loader walks the tree
// recursively too: a file nested deeper than kMaxHtmlDepth is refused (the indexer reports and
// skips it) instead of exhausting the stack, the memory or the patience of `rag-server index`.
//
// The scan is a simplified tree builder: a start tag opens an element unless it is void,
// self-closing, or one whose start closes its like (p, li, dt, dd, tr, td, th, option, ...:
// those cannot nest in themselves); an end tag closes the innermost open element of its name
// and those inside it, and is ignored when none is open; comments, doctype and the raw text of
// script, style, textarea, title, xmp, iframe, noembed, noframes and noscript are skipped.
// Its depth is the deepest its stack gets. The loader also measures the tree gumbo built
// (html_tree_depth) and refuses the same way, so the scan needs only bound gumbo's cost.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

struct GumboInternalNode;

namespace rag::ingest {

inline constexpr std::size_t kMaxHtmlDepth = 512;

// The deepest nesting of `html` as scanned (see above), counted up to `limit` + 1 at most.
std::size_t scan_html_depth(std::string_view html, std::size_t limit = kMaxHtmlDepth);

// The depth of the element tree under `root` (root = 1), without recursion, up to `limit` + 1.
std::size_t html_tree_depth(const GumboInternalNode* root, std::size_t limit = kMaxHtmlDepth);

}  // namespace rag::ingest
