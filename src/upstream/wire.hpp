// The OpenAI / Azure OpenAI wire formats: request bodies for chat and embeddings, and parsers
// for chat.completion JSON, SSE streams of chat.completion.chunk (tolerating Azure's
// empty-`choices`, `prompt_filter_results` and content-filter chunks and a missing `delta`),
// embeddings (`data[i].embedding` re-ordered by `index`) and error bodies. JSON exceptions
// are caught here; nlohmann stays inside wire.cpp.
//
// Thread-safety: free functions are pure; an SseParser belongs to one stream.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "upstream/chat_model.hpp"
#include "upstream/embedder.hpp"

namespace rag::upstream::wire {

// `model` empty → no "model" field (Azure names the deployment in the URL).
std::string chat_body(const ChatRequest& request, const std::string& model, bool stream);
Result<ChatAnswer> parse_chat_completion(std::string_view body);

// One `data:` payload of a chat stream.
struct ChunkInfo {
  std::string delta;          // content delta, possibly empty
  std::string finish_reason;  // empty until the last choice chunk
  int prompt_tokens = -1;     // from a `usage` chunk, when present
  int completion_tokens = -1;
};
Result<ChunkInfo> parse_chat_chunk(std::string_view data);

// Splits a byte stream into Server-Sent Events; returns each finished event's data
// (multi-line data joined by '\n'). Comments and other fields are ignored.
class SseParser {
 public:
  // A line or an event larger than this is not a chat stream: feed() refuses it rather than
  // buffer an upstream's endless line.
  static constexpr std::size_t kMaxEventBytes = 1u << 20;

  // Appends the data of each event completed by `bytes` to `events`. False when a line or an
  // event grows past kMaxEventBytes (the stream should be abandoned).
  bool feed(std::string_view bytes, std::vector<std::string>& events);
  // Data of an event not yet terminated by a blank line (at end of stream).
  std::string flush();

 private:
  void line(std::string_view text, std::vector<std::string>& events);
  std::string partial_;  // an unfinished line
  std::string data_;     // data lines of the current event
  bool has_data_ = false;
};

std::string embeddings_body(const std::vector<std::string>& texts, const std::string& model);
Result<std::vector<Vector>> parse_embeddings(std::string_view body, std::size_t expected);

// The upstream's `error.message` (or `message`), cut to 200 characters; "" when none.
std::string error_message(std::string_view body);
// A 413, or a 400 saying the request has too many inputs.
bool is_too_many_inputs(int status, std::string_view body);

}  // namespace rag::upstream::wire
