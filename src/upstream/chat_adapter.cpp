// The chat adapter (Azure and OpenAI-compatible): complete() reads chat.completion JSON;
// stream() parses SSE chunks into deltas, handing each to the caller's sink, and stops
// retrying once a delta went out (a failure after that is returned as is).
#include <utility>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "upstream/adapters.hpp"
#include "upstream/wire.hpp"

namespace rag::upstream {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Per-call stream state, shared by the body sink and the adapter.
struct StreamState {
  DeltaSink sink;
  std::size_t max_answer_bytes = 0;
  wire::SseParser parser;
  std::string text;
  std::string finish_reason;
  int prompt_tokens = 0, completion_tokens = 0;
  bool delivered = false;  // a delta reached the caller's sink: no more retries
  bool done = false;       // saw data: [DONE]
  std::optional<Error> error;

  void reset_attempt() {
    parser = wire::SseParser();
    finish_reason.clear();
    done = false;
    error.reset();
  }
};

Error too_long(std::size_t max_bytes) {
  return Error{ErrorCode::kUpstream,
               "upstream answer longer than " + std::to_string(max_bytes) + " bytes"};
}

asio::awaitable<bool> handle_event(std::shared_ptr<StreamState> state, std::string data) {
  if (data == "[DONE]") {
    state->done = true;
    co_return true;
  }
  auto chunk = wire::parse_chat_chunk(data);
  if (!chunk) {
    state->error = chunk.error();
    co_return false;
  }
  if (!chunk->finish_reason.empty()) state->finish_reason = chunk->finish_reason;
  if (chunk->prompt_tokens >= 0) state->prompt_tokens = chunk->prompt_tokens;
  if (chunk->completion_tokens >= 0) state->completion_tokens = chunk->completion_tokens;
  if (chunk->delta.empty()) co_return true;
  if (chunk->delta.size() > state->max_answer_bytes - state->text.size()) {
    state->error = too_long(state->max_answer_bytes);
    co_return false;
  }
  state->text += chunk->delta;
  state->delivered = true;
  co_await state->sink(chunk->delta);
  co_return true;
}

asio::awaitable<bool> feed_stream(std::shared_ptr<StreamState> state, std::string piece) {
  std::vector<std::string> events;
  if (!state->parser.feed(piece, events)) {
    state->error = Error{ErrorCode::kUpstream, "malformed upstream response: stream event too large"};
    co_return false;
  }
  for (auto& data : events)
    if (!co_await handle_event(state, std::move(data))) co_return false;
  co_return true;
}

}  // namespace

OpenAiChatModel::OpenAiChatModel(Endpoint endpoint, AdapterOptions options,
                                 asio::any_io_executor executor)
    : core_(std::move(endpoint), std::move(options), std::move(executor)) {}

asio::awaitable<Result<ChatAnswer>> OpenAiChatModel::complete(const ChatRequest& request,
                                                             CancelToken cancel) {
  const auto start = Clock::now();
  core_.stats().on_call();
  const HttpRequest http = core_.request(wire::chat_body(request, core_.endpoint().model, false));
  auto response = co_await core_.caller().call(http, cancel);
  Result<ChatAnswer> out = std::unexpected(Error{});
  if (!response)
    out = std::unexpected(core_.clean(response.error()));
  else if (response->status / 100 != 2)
    out = std::unexpected(core_.status_error(*response));
  else
    out = wire::parse_chat_completion(response->body);
  if (out && out->content.size() > core_.options().max_answer_bytes)
    out = std::unexpected(too_long(core_.options().max_answer_bytes));
  core_.stats().on_done(since(start), out ? nullptr : &out.error());
  co_return out;
}

asio::awaitable<Result<ChatAnswer>> OpenAiChatModel::stream(const ChatRequest& request,
                                                           DeltaSink sink, CancelToken cancel) {
  const auto start = Clock::now();
  core_.stats().on_call();
  auto state = std::make_shared<StreamState>();
  state->sink = std::move(sink);
  state->max_answer_bytes = core_.options().max_answer_bytes;
  CallHooks hooks;
  hooks.sink = [state](std::string_view piece) { return feed_stream(state, std::string(piece)); };
  hooks.may_retry = [state] { return !state->delivered; };
  hooks.before_attempt = [state] { state->reset_attempt(); };

  HttpRequest http = core_.request(wire::chat_body(request, core_.endpoint().model, true));
  http.headers.emplace_back("accept", "text/event-stream");
  auto response = co_await core_.caller().call(http, cancel, hooks);

  Result<ChatAnswer> out = std::unexpected(Error{});
  if (!response) {
    Error e = state->error ? *state->error : response.error();
    if (state->delivered && e.code != ErrorCode::kCancelled)
      e.message = "stream interrupted after " + std::to_string(state->text.size()) +
                  " characters: " + e.message;
    out = std::unexpected(core_.clean(std::move(e)));
  } else if (response->status / 100 != 2) {
    out = std::unexpected(core_.status_error(*response));
  } else {
    if (auto last = state->parser.flush(); !last.empty()) co_await handle_event(state, last);
    if (state->error) {
      out = std::unexpected(core_.clean(*state->error));
    } else if (!state->done && state->finish_reason.empty()) {
      out = fail(ErrorCode::kUpstream, "stream ended before [DONE]");
    } else {
      out = ChatAnswer{state->text, state->finish_reason, state->prompt_tokens,
                       state->completion_tokens};
    }
  }
  core_.stats().on_done(since(start), out ? nullptr : &out.error());
  co_return out;
}

}  // namespace rag::upstream
