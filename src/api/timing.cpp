#include "api/timing.hpp"

#include "http/server_timing.hpp"

namespace rag::api {

void record_search_timings(http::RequestContext& ctx, const retrieval::SearchTiming& timing) {
  ctx.timings.push_back({"embed", timing.embed_ms});
  ctx.timings.push_back({"retrieve", timing.retrieve_ms});
}

void record_chat_timings(http::RequestContext& ctx, const chat::ChatOutcome& outcome,
                         std::optional<double> ttft_ms) {
  record_search_timings(ctx, outcome.search_timing);
  if (outcome.mode == chat::AnswerMode::kGenerated)
    ctx.timings.push_back({"llm", outcome.llm_seconds * 1000});
  if (ttft_ms) ctx.timings.push_back({"ttft", *ttft_ms});
}

nlohmann::ordered_json timings_json(const http::RequestContext& ctx) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& stage : ctx.timings) out[std::string(stage.name)] = stage.ms;
  out["total"] = http::elapsed_ms(ctx);
  return out;
}

}  // namespace rag::api
