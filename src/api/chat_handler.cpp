#include "api/chat_handler.hpp"

#include <boost/asio/this_coro.hpp>

#include "api/chat_api.hpp"
#include "api/error_mapping.hpp"
#include "api/feedback_api.hpp"
#include "api/timing.hpp"
#include "http/server_timing.hpp"

namespace rag::api {
namespace {

namespace asio = boost::asio;

chat::ChatInput to_input(ChatBody body) {
  chat::ChatInput in;
  in.session_id = body.session_id ? std::move(*body.session_id) : session::new_session_id();
  in.message = std::move(body.message);
  in.history = std::move(body.history);
  return in;
}

std::string error_event(const Error& error) {
  const auto mapped = map_error(error);
  nlohmann::ordered_json data{{"detail", mapped.detail}, {"status", mapped.status}};
  return sse_event("error", dump_json(data));
}

asio::awaitable<http::Response> stream_chat(http::RequestContext& ctx,
                                            const chat::Pipeline& pipeline, chat::ChatInput input,
                                            const ChatApiOptions& options) {
  SseChannel channel(*ctx.stream, ctx.cancel);
  if (!co_await channel.start(sse_head(ctx.request.version()))) co_return http::Response{};
  channel.start_pings(co_await asio::this_coro::executor, options.ping_interval);

  auto prepared = co_await pipeline.prepare(std::move(input), ctx.cancel);
  if (!prepared) {
    co_await channel.send(error_event(prepared.error()));
    co_await channel.finish();
    co_return http::Response{};
  }
  co_await channel.send(sse_event("sources", dump_json(sources_to_json(prepared->sources))));
  std::optional<double> ttft_ms;
  upstream::DeltaSink sink = [&channel, &ctx,
                              &ttft_ms](std::string_view delta) -> asio::awaitable<void> {
    if (!ttft_ms) ttft_ms = http::elapsed_ms(ctx);
    nlohmann::ordered_json data{{"delta", delta}};
    co_await channel.send(sse_event("token", dump_json(data)));
  };
  std::string question = options.feedback ? prepared->input.message : std::string();
  auto outcome = co_await pipeline.generate(std::move(*prepared), sink, ctx.cancel);
  if (outcome) {
    auto done = chat_response_json(*outcome);
    if (auto id = co_await remember_answer(options.feedback, std::move(question), *outcome))
      done["response_id"] = *id;
    record_chat_timings(ctx, *outcome, ttft_ms);
    done["timing_ms"] = timings_json(ctx);
    co_await channel.send(sse_event("done", dump_json(done)));
  } else {
    co_await channel.send(error_event(outcome.error()));
  }
  co_await channel.finish();
  co_return http::Response{};
}

}  // namespace

http::Handler chat_handler(const chat::Pipeline& pipeline, ChatApiOptions options) {
  return [&pipeline, options](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
    const unsigned version = ctx.request.version();
    auto body = parse_chat_request(ctx.request.body(), ctx.header("Content-Type"), options.limits);
    if (!body)
      co_return http::json_response(http::Status::unprocessable_entity, body.error().body(),
                                    version);
    const bool stream = body->stream || accepts_event_stream(ctx);
    auto input = to_input(std::move(*body));
    if (ctx.watch_disconnect) ctx.watch_disconnect();
    if (stream && ctx.stream)
      co_return co_await stream_chat(ctx, pipeline, std::move(input), options);
    std::string question = options.feedback ? input.message : std::string();
    auto outcome = co_await pipeline.answer(std::move(input), ctx.cancel);
    if (!outcome) co_return error_to_response(outcome.error(), version);
    co_return co_await finished_answer(ctx, options.feedback, std::move(question), *outcome,
                                       chat_response_json(*outcome));
  };
}

asio::awaitable<http::Response> finished_answer(http::RequestContext& ctx,
                                                feedback::FeedbackStore* feedback,
                                                std::string question,
                                                const chat::ChatOutcome& outcome,
                                                nlohmann::ordered_json body) {
  if (auto id = co_await remember_answer(feedback, std::move(question), outcome))
    body["response_id"] = *id;
  record_chat_timings(ctx, outcome);
  auto res = http::json_response(http::Status::ok, dump_json(body), ctx.request.version());
  http::set_server_timing(res, ctx);
  co_return res;
}

}  // namespace rag::api
