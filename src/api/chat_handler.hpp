// The HTTP handler of POST /chat: validation (422), session id issue, the pipeline, error
// mapping (api/error_mapping.hpp), and the SSE stream when `"stream": true` or
// `Accept: text/event-stream`: `sources`, one `token` per delta, `done` (the non-streamed body),
// or `error` {"detail", "status"}; `: ping` comments while waiting. The handler watches the
// connection, so a client that leaves cancels the upstream call.
//
// Thread-safety: the returned handler may run concurrently on any thread; it shares only the
// pipeline (thread-safe).
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "api/input_limits.hpp"
#include "api/sse.hpp"
#include "feedback/feedback_store.hpp"
#include "http/types.hpp"
#include "chat/pipeline.hpp"

namespace rag::api {

struct ChatApiOptions {
  InputLimits limits;
  std::chrono::steady_clock::duration ping_interval = kSsePingInterval;
  // Where answers are recorded for POST /feedback (api/feedback_api.hpp); null: FEEDBACK=off,
  // and answers carry no response_id.
  feedback::FeedbackStore* feedback = nullptr;
};

// REQUIRES: `pipeline` and `options.feedback` outlive the handler.
http::Handler chat_handler(const chat::Pipeline& pipeline, ChatApiOptions options);

// The 200 answer of a finished chat, on either face: `body` plus the answer's `response_id`
// when `feedback` records it (api/feedback_api.hpp), the Server-Timing header, and the stages
// in `ctx` for the access log (api/timing.hpp).
boost::asio::awaitable<http::Response> finished_answer(http::RequestContext& ctx,
                                                       feedback::FeedbackStore* feedback,
                                                       std::string question,
                                                       const chat::ChatOutcome& outcome,
                                                       nlohmann::ordered_json body);

}  // namespace rag::api
