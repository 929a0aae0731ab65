// The OpenAI / Azure wire formats (see wire.hpp).
#include "upstream/wire.hpp"

#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace rag::upstream::wire {
namespace {

using json = nlohmann::json;

std::string string_or_empty(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int int_or(const json& object, const char* key, int fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

std::unexpected<Error> malformed(std::string_view what) {
  return fail(ErrorCode::kUpstream, "malformed upstream response: " + std::string(what));
}

// nlohmann's message (what and where), cut short: it quotes the token it stopped at.
std::unexpected<Error> malformed(std::string_view what, const json::exception& e) {
  return malformed(std::string(what) + ": " + std::string(e.what()).substr(0, 200));
}

}  // namespace

std::string chat_body(const ChatRequest& request, const std::string& model, bool stream) {
  json messages = json::array();
  for (const auto& m : request.messages)
    messages.push_back({{"role", m.role}, {"content", m.content}});
  json body = {{"messages", std::move(messages)},
               {"temperature", request.temperature},
               {"max_tokens", request.max_tokens}};
  if (!model.empty()) body["model"] = model;
  if (stream) body["stream"] = true;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ChatAnswer> parse_chat_completion(std::string_view body) {
  try {
    const json doc = json::parse(body.begin(), body.end());
    if (!doc.is_object()) return malformed("not an object");
    auto choices = doc.find("choices");
    if (choices == doc.end() || !choices->is_array() || choices->empty())
      return malformed("no choices");
    const json& choice = choices->front();
    ChatAnswer answer;
    if (auto message = choice.find("message"); message != choice.end())
      answer.content = string_or_empty(*message, "content");
    answer.finish_reason = string_or_empty(choice, "finish_reason");
    if (auto usage = doc.find("usage"); usage != doc.end()) {
      answer.prompt_tokens = int_or(*usage, "prompt_tokens", 0);
      answer.completion_tokens = int_or(*usage, "completion_tokens", 0);
    }
    return answer;
  } catch (const json::exception& e) {
    return malformed("invalid JSON", e);
  }
}

Result<ChunkInfo> parse_chat_chunk(std::string_view data) {
  try {
    const json doc = json::parse(data.begin(), data.end());
    if (!doc.is_object()) return malformed("chunk is not an object");
    if (auto error = doc.find("error"); error != doc.end()) {
      std::string message = string_or_empty(*error, "message");
      return fail(ErrorCode::kUpstream, "upstream stream error: " + message.substr(0, 200));
    }
    ChunkInfo info;
    if (auto choices = doc.find("choices"); choices != doc.end() && choices->is_array() &&
                                            !choices->empty()) {
      const json& choice = choices->front();
      if (auto delta = choice.find("delta"); delta != choice.end())
        info.delta = string_or_empty(*delta, "content");
      info.finish_reason = string_or_empty(choice, "finish_reason");
    }
    if (auto usage = doc.find("usage"); usage != doc.end() && usage->is_object()) {
      info.prompt_tokens = int_or(*usage, "prompt_tokens", -1);
      info.completion_tokens = int_or(*usage, "completion_tokens", -1);
    }
    return info;
  } catch (const json::exception& e) {
    return malformed("invalid JSON in stream chunk", e);
  }
}

bool SseParser::feed(std::string_view bytes, std::vector<std::string>& events) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, nl);
    if (partial_.size() + piece.size() > kMaxEventBytes) return false;
    partial_.append(piece);
    if (nl == std::string_view::npos) return true;
    bytes.remove_prefix(nl + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    line(partial_, events);
    partial_.clear();
    if (data_.size() > kMaxEventBytes) return false;
  }
  return true;
}

void SseParser::line(std::string_view text, std::vector<std::string>& events) {
  if (text.empty()) {
    if (has_data_) events.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (text.front() == ':' || !text.starts_with("data:")) return;  // comment / other field
  text.remove_prefix(5);
  if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (has_data_) data_ += '\n';
  data_.append(text);
  has_data_ = true;
}

std::string SseParser::flush() {
  std::vector<std::string> events;
  if (!partial_.empty()) {
    std::string last = std::move(partial_);
    partial_.clear();
    line(last, events);
  }
  std::string out = has_data_ ? std::move(data_) : std::string();
  data_.clear();
  has_data_ = false;
  return out;
}

std::string embeddings_body(const std::vector<std::string>& texts, const std::string& model) {
  json body = {{"input", texts}};
  if (!model.empty()) body["model"] = model;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<Vector>> parse_embeddings(std::string_view body, std::size_t expected) {
  try {
    const json doc = json::parse(body.begin(), body.end());
    auto data = doc.is_object() ? doc.find("data") : doc.end();
    if (data == doc.end() || !data->is_array()) return malformed("no data array");
    if (data->size() != expected)
      return malformed("expected " + std::to_string(expected) + " embeddings, got " +
                       std::to_string(data->size()));
    std::vector<Vector> out(expected);
    std::vector<bool> seen(expected, false);
    for (std::size_t pos = 0; pos < data->size(); ++pos) {
      const json& item = (*data)[pos];
      const int index = int_or(item, "index", static_cast<int>(pos));
      if (index < 0 || static_cast<std::size_t>(index) >= expected || seen[index])
        return malformed("bad embedding index");
      auto embedding = item.find("embedding");
      if (embedding == item.end() || !embedding->is_array() || embedding->empty())
        return malformed("embedding is not a list of numbers");
      Vector& v = out[index];
      v.reserve(embedding->size());
      for (const json& x : *embedding) {
        if (!x.is_number()) return malformed("embedding is not a list of numbers");
        v.push_back(x.get<float>());
      }
      seen[index] = true;
    }
    for (std::size_t i = 1; i < out.size(); ++i)
      if (out[i].size() != out[0].size()) return malformed("embeddings of different dimensions");
    return out;
  } catch (const json::exception& e) {
    return malformed("invalid JSON", e);
  }
}

std::string error_message(std::string_view body) {
  try {
    const json doc = json::parse(body.begin(), body.end());
    std::string message;
    if (auto error = doc.find("error"); error != doc.end()) {
      message = error->is_string() ? error->get<std::string>() : string_or_empty(*error, "message");
    } else {
      message = string_or_empty(doc, "message");
    }
    return message.substr(0, 200);
  } catch (const json::exception&) {
    // Not JSON (a proxy's HTML error page, say): there is no message to quote, and the caller
    // reports the status without one.
    return {};
  }
}

bool is_too_many_inputs(int status, std::string_view body) {
  if (status == 413) return true;
  if (status != 400) return false;
  const std::string lowered = lower(body.substr(0, 4096));
  return lowered.find("too many inputs") != std::string::npos ||
         lowered.find("too many input") != std::string::npos;
}

}  // namespace rag::upstream::wire
