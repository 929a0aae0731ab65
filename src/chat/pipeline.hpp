// The conversation pipeline behind POST /chat and /v1/chat/completions (docs/api.md), without HTTP:
//   prepare():  log, apply a request's history (replaces the stored one), read the history,
//               build the retrieval query (query_rewrite.hpp), search (k = 5, the Searcher's
//               adaptive filter), decide the mode: refusal (blank message or no passage left:
//               no upstream call), extractive (no chat model), or generated.
//   generate(): the answer — the refusal text, an extractive answer, or the chat model's
//               (streamed through `sink` when given; a refusal or extractive answer is sent to
//               the sink as one delta) — then the exchange is appended to the session, and the
//               guide's timing lines are logged. Nothing is stored when the answer fails.
//   answer():   prepare() + generate().
// Upstream errors come back as they are (kRateLimited, kTimeout, kUnavailable, kUpstream,
// kCancelled); a failed search is kIndexUnavailable, never the refusal (which means "searched
// and found nothing relevant"); api/error_mapping.hpp turns them into HTTP answers.
//
// Thread-safety: shared by all requests; every method may run concurrently on any thread. The
// Searcher, ChatModel and SessionStore it holds must be (and are) safe for that.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "chat/extractive.hpp"
#include "chat/prompt.hpp"
#include "retrieval/searcher.hpp"
#include "session/session_store.hpp"
#include "upstream/chat_model.hpp"

namespace rag::chat {

inline constexpr std::string_view kDefaultRefusal =
    "I'm sorry, I couldn't find anything in the indexed documents that answers this question. "
    "Could you rephrase it, or ask about a topic the documents cover?";

struct PipelineOptions {
  int k = 5;
  std::size_t max_history = 20;  // MAX_CONVERSATION_HISTORY: messages sent to the model
  double temperature = 0.1;      // CHAT_TEMPERATURE
  int max_tokens = 1000;         // CHAT_MAX_TOKENS
  std::string system_template = std::string(kDefaultSystemTemplate);
  std::string refusal_text = std::string(kDefaultRefusal);
  ExtractiveOptions extractive;
};

enum class AnswerMode { kGenerated, kRefusal, kExtractive };

struct ChatInput {
  std::string session_id;
  std::string message;
  std::optional<session::History> history;  // replaces the stored history when set
  // false (the OpenAI face): the session store is neither read nor written; `history` is the
  // whole conversation.
  bool persist = true;
  std::optional<double> temperature;  // per-request overrides (OpenAI face)
  std::optional<int> max_tokens;      // capped at PipelineOptions::max_tokens
};

// The state between prepare() and generate().
struct Prepared {
  ChatInput input;
  session::History history;  // the conversation before this message
  std::string query;         // what was searched for
  std::vector<retrieval::WeightedTerm> terms;  // its terms, weighted by the index
  std::vector<Source> sources;
  AnswerMode mode = AnswerMode::kGenerated;
  double search_seconds = 0;
  retrieval::SearchTiming search_timing;
  std::chrono::steady_clock::time_point started;
};

struct ChatOutcome {
  std::string response;
  std::string session_id;
  std::string timestamp;  // local ISO 8601 with microseconds, when the answer was complete
  std::vector<Source> sources;
  AnswerMode mode = AnswerMode::kGenerated;
  std::string finish_reason = "stop";
  int prompt_tokens = 0;
  int completion_tokens = 0;
  double search_seconds = 0;
  retrieval::SearchTiming search_timing;  // its parts
  double llm_seconds = 0;
  double total_seconds = 0;
};

class Pipeline {
 public:
  // `model` null = no chat upstream (extractive answers).
  // REQUIRES: `searcher`, `model` and `sessions` outlive the Pipeline.
  Pipeline(const retrieval::Searcher& searcher, upstream::ChatModel* model,
           session::SessionStore& sessions, PipelineOptions options);

  boost::asio::awaitable<Result<Prepared>> prepare(ChatInput input, CancelToken cancel) const;
  // `sink` may be empty (no streaming).
  boost::asio::awaitable<Result<ChatOutcome>> generate(Prepared prepared, upstream::DeltaSink sink,
                                                       CancelToken cancel) const;
  boost::asio::awaitable<Result<ChatOutcome>> answer(ChatInput input, CancelToken cancel) const;

  bool has_model() const { return model_ != nullptr; }
  const PipelineOptions& options() const { return options_; }
  session::SessionStore& sessions() const { return sessions_; }

 private:
  // The conversation so far; a session store that fails costs the memory, not the answer.
  boost::asio::awaitable<session::History> load_history(const ChatInput& input) const;
  boost::asio::awaitable<Result<upstream::ChatAnswer>> call_model(
      const Prepared& p, const upstream::DeltaSink& sink, const CancelToken& cancel) const;
  boost::asio::awaitable<void> store_exchange(const Prepared& p, const std::string& answer,
                                              const std::string& timestamp) const;

  const retrieval::Searcher& searcher_;
  upstream::ChatModel* model_;
  session::SessionStore& sessions_;
  PipelineOptions options_;
};

std::string_view to_string(AnswerMode mode);

}  // namespace rag::chat
