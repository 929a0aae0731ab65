// The cross-cutting steps every request passes through, each a small Filter (they never wait).
// Other concerns (CORS, rate limits, load shedding) plug into the same chain in cli/.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "http/types.hpp"

namespace rag::http {

// A sane request id: rag::is_id_token (common/text.hpp), safe to echo in a header.
bool is_sane_request_id(std::string_view id);
// 32 lower-case hex characters from a per-thread random generator.
std::string generate_request_id();
// The same, written into `out` (its capacity reused).
void generate_request_id(std::string& out);

// Echoes a sane incoming X-Request-Id, else generates one; sets ctx.request_id and adds the
// header to the response.
Filter request_id();

// Puts the path in its one spelling (http/path.hpp) before anything routes or limits on it;
// a malformed path, or one climbing above the root, is answered 400.
Filter canonical_path();

// The headers every response carries (docs/security.md), in the order they are written: by the
// security_headers() filter, by a connection answering before the filters run, and by the 503
// written at accept past max_connections. Cache-Control yields to a handler that sets its own.
struct HeaderField {
  const char* name;
  const char* value;
};
inline constexpr std::array<HeaderField, 4> kSecurityHeaders{{
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Cache-Control", "no-store"},
}};

// Adds kSecurityHeaders to every response (Cache-Control: no-store unless the handler says
// otherwise).
Filter security_headers();

}  // namespace rag::http
