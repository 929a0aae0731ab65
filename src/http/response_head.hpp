// Renders a response's status line and header block straight into a reused string, in place
// of Beast's serializer: the response's own fields, then the context's header_views and
// response_headers that the response does not set itself (the first of a name wins), then
// Content-Length if the response has neither it nor Transfer-Encoding. Used by the connection;
// apply_context_headers() is also for code that plays the connection's part (tests, the fuzz
// harness), so it adds the context's headers exactly as a served response gets them.
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <string>

#include "http/types.hpp"

namespace rag::http {

// What render_head() found out about the response.
struct HeadInfo {
  bool chunked = false;  // Transfer-Encoding is set: write with Beast's serializer instead
};

// REQUIRES: `response.keep_alive()` already set as wanted. Appends to `out` (clear it first).
HeadInfo render_head(const Response& response, const RequestContext& ctx, std::string& out);

// The same header rule on a Beast message (streamed heads, chunked responses): sets each
// context header the message does not have yet.
void apply_context_headers(Response& response, const RequestContext& ctx);

}  // namespace rag::http
