#include "chat/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/timestamp.hpp"
#include "common/utf8.hpp"
#include "observability/logging.hpp"
#include "observability/metrics.hpp"
#include "chat/citations.hpp"
#include "chat/query_rewrite.hpp"
#include "chat/text.hpp"

namespace rag::chat {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

observability::Histogram& search_histogram() {
  static auto& h = observability::Registry::global().histogram(
      "rag_search_duration_seconds", "Retrieval latency (query embedding + search + filter).",
      {});
  return h;
}

observability::Counter& refusal_counter() {
  static auto& c = observability::Registry::global().counter(
      "rag_refusals_total",
      "Chat answers that were the refusal: the search found nothing relevant (or the message "
      "was blank).");
  return c;
}

observability::Histogram& llm_histogram() {
  static auto& h = observability::Registry::global().histogram(
      "rag_llm_duration_seconds", "Chat model latency per answer (retries included).", {});
  return h;
}

// Takes out of `answer` the citations of passages the model was not given and marks the sources
// it cites (chat/citations.hpp). A streamed answer's tokens are already sent: the checked text
// reaches the client in the final event (docs/api.md, "Citations").
void check_answer_citations(std::string& answer, std::vector<Source>& sources) {
  auto checked = check_citations(answer, sources.size());
  if (checked.removed > 0)
    spdlog::info("Removed {} citation(s) of passages the model was not given", checked.removed);
  answer = std::move(checked.text);
  for (std::size_t i = 0; i < sources.size(); ++i) sources[i].cited = checked.cited[i];
}

}  // namespace

std::string_view to_string(AnswerMode mode) {
  switch (mode) {
    case AnswerMode::kGenerated: return "generated";
    case AnswerMode::kRefusal: return "refusal";
    case AnswerMode::kExtractive: return "extractive";
  }
  return "generated";
}

Pipeline::Pipeline(const retrieval::Searcher& searcher, upstream::ChatModel* model,
                   session::SessionStore& sessions, PipelineOptions options)
    : searcher_(searcher),
      model_(model),
      sessions_(sessions),
      options_(std::move(options)) {
  // Registered now so that /metrics lists them before the first chat.
  search_histogram();
  llm_histogram();
  refusal_counter();
}

asio::awaitable<session::History> Pipeline::load_history(const ChatInput& input) const {
  if (!input.persist) co_return input.history.value_or(session::History{});
  if (input.history) {
    auto replaced = co_await sessions_.replace(input.session_id, *input.history);
    if (!replaced)
      spdlog::warn("Could not replace the history of session {}: {}",
                   session::log_id(input.session_id), replaced.error().message);
    co_return *input.history;
  }
  auto stored = co_await sessions_.get(input.session_id);
  if (!stored) {
    // A session backend that does not answer costs the conversation its memory, not the answer.
    spdlog::warn("Could not read the history of session {}: {}", session::log_id(input.session_id),
                 stored.error().message);
    co_return session::History{};
  }
  co_return std::move(*stored);
}

asio::awaitable<Result<Prepared>> Pipeline::prepare(ChatInput input, CancelToken cancel) const {
  Prepared p;
  p.started = Clock::now();
  spdlog::info("Chat request received - Session: {}, Message length: {}",
               session::log_id(input.session_id), utf8_length(input.message));
  p.history = co_await load_history(input);

  if (is_blank_text(input.message)) {
    p.mode = AnswerMode::kRefusal;
    p.input = std::move(input);
    co_return p;
  }
  p.query = retrieval_query(input.message, p.history);
  const auto search_started = Clock::now();
  auto hits = co_await searcher_.search(p.query, options_.k, cancel, &p.search_timing);
  p.search_seconds = seconds_since(search_started);
  search_histogram().observe(p.search_seconds);
  if (!hits) {
    if (hits.error().code == ErrorCode::kCancelled) co_return std::unexpected(hits.error());
    // No index loaded (or a broken one): nothing to ground an answer in, and "nothing found"
    // would be a wrong answer. The client gets 503 and tries again.
    spdlog::warn("Search failed, answering 503: {}", hits.error().message);
    co_return std::unexpected(Error{ErrorCode::kIndexUnavailable, hits.error().message, 0});
  }
  spdlog::info("Vector search completed in {:.2f}s, found {} documents", p.search_seconds,
               hits->size());
  p.sources = make_sources(*hits);
  p.terms = searcher_.weigh(p.query);
  if (p.sources.empty()) {
    p.mode = AnswerMode::kRefusal;
  } else if (!model_) {
    p.mode = AnswerMode::kExtractive;
  }
  p.input = std::move(input);
  co_return p;
}

asio::awaitable<Result<upstream::ChatAnswer>> Pipeline::call_model(
    const Prepared& p, const upstream::DeltaSink& sink, const CancelToken& cancel) const {
  upstream::ChatRequest request;
  request.messages = build_messages(options_.system_template, p.sources, p.history,
                                    options_.max_history, p.input.message);
  request.temperature = p.input.temperature.value_or(options_.temperature);
  // A client may ask for fewer tokens than CHAT_MAX_TOKENS, never more (cost control).
  request.max_tokens = std::min(p.input.max_tokens.value_or(options_.max_tokens), options_.max_tokens);
  if (sink) co_return co_await model_->stream(request, sink, cancel);
  co_return co_await model_->complete(request, cancel);
}

asio::awaitable<void> Pipeline::store_exchange(const Prepared& p, const std::string& answer,
                                               const std::string& timestamp) const {
  if (!p.input.persist) co_return;
  // Named arguments: g++ 12 mis-destroys braced temporaries inside a co_await expression.
  session::Message user{"user", p.input.message, timestamp};
  session::Message assistant{"assistant", answer, timestamp};
  auto stored = co_await sessions_.append(p.input.session_id, std::move(user),
                                           std::move(assistant));
  if (!stored)
    spdlog::warn("Could not store the exchange of session {}: {}",
                 session::log_id(p.input.session_id), stored.error().message);
}

asio::awaitable<Result<ChatOutcome>> Pipeline::generate(Prepared p, upstream::DeltaSink sink,
                                                        CancelToken cancel) const {
  ChatOutcome out;
  out.mode = p.mode;
  out.session_id = p.input.session_id;
  out.search_seconds = p.search_seconds;
  out.search_timing = p.search_timing;
  if (p.mode == AnswerMode::kGenerated) {
    const auto llm_started = Clock::now();
    auto answer = co_await call_model(p, sink, cancel);
    out.llm_seconds = seconds_since(llm_started);
    llm_histogram().observe(out.llm_seconds);
    if (!answer) {
      if (answer.error().code == ErrorCode::kCancelled) {
        spdlog::info("LLM generation cancelled after {:.2f}s (client gone)", out.llm_seconds);
      } else {
        spdlog::warn("LLM generation failed after {:.2f}s: {}", out.llm_seconds,
                     observability::redact(answer.error().message));
      }
      co_return std::unexpected(answer.error());
    }
    out.response = std::move(answer->content);
    if (!answer->finish_reason.empty()) out.finish_reason = answer->finish_reason;
    out.prompt_tokens = answer->prompt_tokens;
    out.completion_tokens = answer->completion_tokens;
    spdlog::info("LLM generation completed in {:.2f}s, response length: {}", out.llm_seconds,
                 utf8_length(out.response));
  } else {
    out.response = p.mode == AnswerMode::kRefusal
                       ? options_.refusal_text
                       : extractive_answer(p.terms, p.sources, options_.extractive);
    if (p.mode == AnswerMode::kRefusal) {
      p.sources.clear();
      refusal_counter().inc();
    }
    if (sink) co_await sink(out.response);
  }
  if (p.mode != AnswerMode::kRefusal) check_answer_citations(out.response, p.sources);
  out.sources = std::move(p.sources);
  out.timestamp = iso_timestamp();
  co_await store_exchange(p, out.response, out.timestamp);
  out.total_seconds = seconds_since(p.started);
  spdlog::info("Chat request completed in {:.2f}s total (search: {:.2f}s, LLM: {:.2f}s)",
               out.total_seconds, out.search_seconds, out.llm_seconds);
  co_return out;
}

asio::awaitable<Result<ChatOutcome>> Pipeline::answer(ChatInput input, CancelToken cancel) const {
  auto prepared = co_await prepare(std::move(input), cancel);
  if (!prepared) co_return std::unexpected(prepared.error());
  upstream::DeltaSink no_sink;
  co_return co_await generate(std::move(*prepared), std::move(no_sink), cancel);
}

}  // namespace rag::chat
