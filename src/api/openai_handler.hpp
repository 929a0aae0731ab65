// HTTP handlers of the OpenAI-compatible face (see openai_api.hpp for the mapping):
// POST /v1/chat/completions (JSON, or `data: {chat.completion.chunk}` lines then
// `data: [DONE]` when "stream": true; `: ping` comments while waiting; a failure after the
// stream started is a `data: {"error": {...}}` line before [DONE]) and GET /v1/models.
//
// Thread-safety: the handlers may run concurrently on any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "api/input_limits.hpp"
#include "api/sse.hpp"
#include "feedback/feedback_store.hpp"
#include "http/types.hpp"
#include "chat/pipeline.hpp"

namespace rag::api {

struct OpenAiApiOptions {
  std::string model_id = "rag-server";  // the one model /v1/models lists
  InputLimits limits;
  std::chrono::steady_clock::duration ping_interval = kSsePingInterval;
  // Where answers are recorded for POST /feedback; null: FEEDBACK=off (no response_id).
  feedback::FeedbackStore* feedback = nullptr;
};

// REQUIRES: `pipeline` and `options.feedback` outlive the handler.
http::Handler openai_chat_completions_handler(const chat::Pipeline& pipeline,
                                              OpenAiApiOptions options);
http::Handler openai_models_handler(OpenAiApiOptions options);

}  // namespace rag::api
