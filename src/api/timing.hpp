// The stages of the API's answers, for the `Server-Timing` header and the access log
// (docs/api.md, "Server-Timing"): `embed` (the query's embedding), `retrieve` (the index
// search), `llm` (the chat model, retries included) and, for a stream, `ttft` (from the
// request's start to the first token sent).
//
// Thread-safety: functions of one request's context.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>

#include "http/types.hpp"
#include "chat/pipeline.hpp"
#include "retrieval/searcher.hpp"

namespace rag::api {

void record_search_timings(http::RequestContext& ctx, const retrieval::SearchTiming& timing);

// embed, retrieve, llm (a generated answer only), then ttft when given.
void record_chat_timings(http::RequestContext& ctx, const chat::ChatOutcome& outcome,
                         std::optional<double> ttft_ms = std::nullopt);

// The recorded stages and `total` as {"embed": 12.1, ..., "total": 926.0} (the SSE `done`
// event's `timing_ms`).
nlohmann::ordered_json timings_json(const http::RequestContext& ctx);

}  // namespace rag::api
