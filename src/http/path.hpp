// The one spelling of a request path that routing and rate limiting see. Every step that looks
// at a path (the router, the rate limits, load shedding's probe list, the access log) reads
// RequestContext::path(), which the canonical_path() filter sets first, so `POST /search/`,
// `//search`, `/./search` and `/%73earch` reach the same handler and count against the same
// limit as `POST /search`.
//
// The rules (RFC 3986 §6.2.2, plus two of this server's):
//   - the path is the request target up to the first '?'; the query string is left untouched;
//   - it must start with '/' (origin form): anything else (`*`, `http://host/x`) is refused;
//   - a percent-encoded unreserved character (ALPHA / DIGIT / - . _ ~) is decoded; every other
//     escape is kept, with its hex digits upper-cased, so `%2F` stays data inside a segment and
//     never becomes a separator, and `%00` never becomes a NUL; a '%' not followed by two hex
//     digits is refused;
//   - empty segments are dropped (`//` = `/`, and a trailing '/' is dropped: `/search/` =
//     `/search`; the root stays `/`);
//   - `.` segments are dropped and `..` removes the segment before it (after decoding, so
//     `%2e%2e` is `..`); a `..` that would climb above the root is refused.
// A refused path is answered 400 before routing.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace rag::http {

enum class PathForm {
  kCanonical,  // the path is already in its one spelling; `out` is untouched
  kRewritten,  // `out` holds the canonical spelling
  kInvalid,    // malformed or climbing above the root: refuse the request
};

// The value of a hexadecimal digit, or -1 (percent-decoding, here and in query strings).
int hex_digit(char c);

// REQUIRES: `path` is the target without its query string. `out` is only written for
// kRewritten (its capacity is reused).
PathForm canonicalize_path(std::string_view path, std::string& out);

}  // namespace rag::http
