#include "api/openai_handler.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/field.hpp>

#include "api/chat_api.hpp"
#include "api/chat_handler.hpp"
#include "api/feedback_api.hpp"
#include "api/openai_api.hpp"
#include "api/timing.hpp"
#include "http/server_timing.hpp"
#include "session/session_store.hpp"

namespace rag::api {
namespace {

namespace asio = boost::asio;

http::Response openai_error_response(const OpenAiError& error, unsigned version,
                                     int retry_after_s = 0) {
  auto res = http::json_response(static_cast<http::Status>(error.status), openai_error_body(error),
                                 version);
  if (retry_after_s > 0)
    res.set(boost::beast::http::field::retry_after, std::to_string(retry_after_s));
  return res;
}

std::string data_line(const nlohmann::ordered_json& value) {
  return "data: " + dump_json(value) + "\n\n";
}

std::string delta_line(const CompletionIds& ids, std::string_view delta) {
  nlohmann::ordered_json d;
  d["content"] = delta;
  return data_line(chunk_json(ids, std::move(d), ""));
}

chat::ChatInput to_input(OpenAiRequest& req) {
  chat::ChatInput in;
  in.session_id = "openai-" + session::new_session_id().substr(0, 12);  // for log lines only
  in.message = std::move(req.question);
  in.history = std::move(req.history);
  in.persist = false;
  in.temperature = req.temperature;
  in.max_tokens = req.max_tokens;
  return in;
}

asio::awaitable<http::Response> stream_completion(http::RequestContext& ctx,
                                                  const chat::Pipeline& pipeline,
                                                  chat::ChatInput input, CompletionIds ids,
                                                  const OpenAiApiOptions& options) {
  SseChannel channel(*ctx.stream, ctx.cancel);
  if (!co_await channel.start(sse_head(ctx.request.version()))) co_return http::Response{};
  channel.start_pings(co_await asio::this_coro::executor, options.ping_interval);
  auto prepared = co_await pipeline.prepare(std::move(input), ctx.cancel);
  Result<chat::ChatOutcome> outcome = std::unexpected(Error{});
  std::optional<double> ttft_ms;
  std::string question;  // for the feedback store
  if (prepared) {
    auto first = chunk_json(ids, {{"role", "assistant"}, {"content", ""}}, "");
    first["sources"] = sources_to_json(prepared->sources);
    co_await channel.send(data_line(first));
    upstream::DeltaSink sink = [&channel, &ids, &ctx,
                                &ttft_ms](std::string_view delta) -> asio::awaitable<void> {
      if (!ttft_ms) ttft_ms = http::elapsed_ms(ctx);
      co_await channel.send(delta_line(ids, delta));
    };
    question = options.feedback ? prepared->input.message : std::string();
    outcome = co_await pipeline.generate(std::move(*prepared), sink, ctx.cancel);
  } else {
    outcome = std::unexpected(prepared.error());
  }
  if (outcome) {
    record_chat_timings(ctx, *outcome, ttft_ms);
    auto last = chunk_json(ids, nlohmann::ordered_json::object(), outcome->finish_reason);
    last["sources"] = sources_to_json(outcome->sources);
    if (auto id = co_await remember_answer(options.feedback, std::move(question), *outcome))
      last["response_id"] = *id;
    if (outcome->mode == chat::AnswerMode::kExtractive) last["mode"] = "extractive";
    co_await channel.send(data_line(last));
  } else {
    co_await channel.send("data: " + openai_error_body(openai_error_from(outcome.error())) +
                          "\n\n");
  }
  co_await channel.send("data: [DONE]\n\n");
  co_await channel.finish();
  co_return http::Response{};
}

}  // namespace

http::Handler openai_chat_completions_handler(const chat::Pipeline& pipeline,
                                              OpenAiApiOptions options) {
  return [&pipeline, options](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
    const unsigned version = ctx.request.version();
    auto req = parse_openai_request(ctx.request.body(), ctx.header("Content-Type"), options.limits);
    if (!req) co_return openai_error_response(req.error(), version);
    auto ids = new_completion_ids(req->model.empty() ? options.model_id : req->model);
    const bool stream = req->stream;
    auto input = to_input(*req);
    if (ctx.watch_disconnect) ctx.watch_disconnect();
    if (stream && ctx.stream)
      co_return co_await stream_completion(ctx, pipeline, std::move(input), std::move(ids),
                                           options);
    std::string question = options.feedback ? input.message : std::string();
    auto outcome = co_await pipeline.answer(std::move(input), ctx.cancel);
    if (!outcome)
      co_return openai_error_response(openai_error_from(outcome.error()), version,
                                      map_error(outcome.error()).retry_after_s);
    co_return co_await finished_answer(ctx, options.feedback, std::move(question), *outcome,
                                       completion_json(ids, *outcome));
  };
}

http::Handler openai_models_handler(OpenAiApiOptions options) {
  const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  return [body = dump_json(models_json(options.model_id, created))](
             http::RequestContext& ctx) -> asio::awaitable<http::Response> {
    co_return http::json_response(http::Status::ok, body, ctx.request.version());
  };
}

}  // namespace rag::api
