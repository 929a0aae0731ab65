// The `Server-Timing` header (W3C Server Timing) of a response: the stages the handler measured
// (RequestContext::timings) and `total`, the time since the request's head was read, each in
// milliseconds: `embed;dur=12.1, retrieve;dur=0.8, llm;dur=912.4, total;dur=926.0`.
// Browsers show it in their developer tools; docs/api.md, "Server-Timing".
//
// Thread-safety: pure functions of the context.
#pragma once

#include <string>

#include "http/types.hpp"

namespace rag::http {

std::string server_timing(const RequestContext& ctx);

// Milliseconds since the request's head was read (the `total` stage).
double elapsed_ms(const RequestContext& ctx);

// Sets the header on `response`.
void set_server_timing(Response& response, const RequestContext& ctx);

}  // namespace rag::http
