#include "api/openai_api.hpp"

#include <openssl/rand.h>

#include <chrono>

#include "api/chat_api.hpp"
#include "api/validation.hpp"
#include "common/utf8.hpp"

namespace rag::api {
namespace {

using nlohmann::json;

std::expected<std::string, OpenAiError> content_text(const json& content, std::size_t index) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {
    std::string text;
    for (const auto& part : content) {
      // find, not value(): value() throws when "type" is there but not a string.
      if (!part.is_object()) continue;
      if (auto type = part.find("type"); type == part.end() || *type != "text") continue;
      auto t = part.find("text");
      if (t == part.end() || !t->is_string()) continue;
      if (!text.empty()) text += '\n';
      text += t->get<std::string>();
    }
    return text;
  }
  return std::unexpected(OpenAiError{400, "messages[" + std::to_string(index) +
                                              "].content must be a string or a list of parts",
                                     "invalid_request_error",
                                     "messages", ""});
}

OpenAiError bad(std::string message, std::string param) {
  return OpenAiError{400, std::move(message), "invalid_request_error", std::move(param), ""};
}

OpenAiError too_many_turns(const InputLimits& limits) {
  return bad("At most " + std::to_string(limits.max_history_messages) +
                 " earlier user and assistant messages are accepted",
             "messages");
}

// The history's bounds (input_limits.hpp), once the question is taken off.
std::optional<OpenAiError> check_history(const session::History& history,
                                         const InputLimits& limits) {
  if (history.size() > limits.max_history_messages) return too_many_turns(limits);
  for (const auto& turn : history) {
    if (utf8_length(turn.content) > limits.max_history_chars)
      return bad("Earlier messages are limited to " + std::to_string(limits.max_history_chars) +
                     " characters each",
                 "messages");
  }
  return std::nullopt;
}

// Fills question and history from `messages`.
std::optional<OpenAiError> read_messages(const json& messages, const InputLimits& limits,
                                         OpenAiRequest& out) {
  if (!messages.is_array() || messages.empty())
    return bad("'messages' must be a non-empty list", "messages");
  session::History turns;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return bad("messages[" + std::to_string(i) + "] must be an object with a 'role'", "messages");
    const auto role = m["role"].get<std::string>();
    auto text = content_text(m.contains("content") ? m["content"] : json(), i);
    if (!text) return text.error();
    if (role == "user" || role == "assistant") turns.push_back({role, std::move(*text), ""});
    if (turns.size() > limits.max_history_messages + 1) return too_many_turns(limits);
    // system / developer / tool / function: ignored (see the header).
  }
  if (turns.empty() || turns.back().role != "user")
    return bad("The last message must be a user message", "messages");
  out.question = std::move(turns.back().content);
  turns.pop_back();
  out.history = std::move(turns);
  if (utf8_length(out.question) > limits.max_message_chars)
    return bad("The last user message is longer than " + std::to_string(limits.max_message_chars) +
                   " characters",
               "messages");
  return check_history(out.history, limits);
}

std::optional<OpenAiError> read_options(const json& obj, OpenAiRequest& out) {
  if (auto it = obj.find("model"); it != obj.end() && it->is_string()) out.model = *it;
  if (auto it = obj.find("stream"); it != obj.end() && !it->is_null()) {
    if (!it->is_boolean()) return bad("'stream' must be a boolean", "stream");
    out.stream = it->get<bool>();
  }
  if (auto it = obj.find("temperature"); it != obj.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 2)
      return bad("'temperature' must be a number between 0 and 2", "temperature");
    out.temperature = it->get<double>();
  }
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > 1'000'000)
      return bad(std::string("'") + name + "' must be a positive integer", name);
    out.max_tokens = static_cast<int>(it->get<std::int64_t>());
  }
  return std::nullopt;
}

}  // namespace

std::expected<OpenAiRequest, OpenAiError> parse_openai_request(std::string_view body,
                                                               std::string_view content_type,
                                                               const InputLimits& limits) {
  auto parsed = parse_json_object_body(body, content_type);
  if (!parsed) {
    const auto& e = parsed.error().errors().front();
    return std::unexpected(bad("Invalid request body: " + e.msg, ""));
  }
  OpenAiRequest out;
  if (!parsed->contains("messages"))
    return std::unexpected(bad("Missing required parameter: 'messages'", "messages"));
  if (auto e = read_messages((*parsed)["messages"], limits, out))
    return std::unexpected(std::move(*e));
  if (auto e = read_options(*parsed, out)) return std::unexpected(std::move(*e));
  return out;
}

std::string openai_error_body(const OpenAiError& error) {
  nlohmann::ordered_json e;
  e["message"] = error.message;
  e["type"] = error.type;
  e["param"] = error.param.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(error.param);
  e["code"] = error.code.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(error.code);
  nlohmann::ordered_json out;
  out["error"] = std::move(e);
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

OpenAiError openai_error_from(const Error& error) {
  const auto mapped = map_error(error);
  OpenAiError out{mapped.status, mapped.detail, "server_error", "", ""};
  if (mapped.status == 429) {
    out.type = "rate_limit_error";
    out.code = "rate_limit_exceeded";
  } else if (mapped.status == 504) {
    out.code = "timeout";
  } else if (mapped.status == 502) {
    out.code = "upstream_error";
  }
  return out;
}

CompletionIds new_completion_ids(std::string model) {
  unsigned char bytes[12];
  RAND_bytes(bytes, sizeof bytes);
  static const char* kHex = "0123456789abcdef";
  std::string id = "chatcmpl-";
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return {std::move(id), std::chrono::duration_cast<std::chrono::seconds>(now).count(),
          model.empty() ? std::string(kDefaultModelId) : std::move(model)};
}

nlohmann::ordered_json completion_json(const CompletionIds& ids,
                                       const chat::ChatOutcome& outcome) {
  nlohmann::ordered_json out;
  out["id"] = ids.id;
  out["object"] = "chat.completion";
  out["created"] = ids.created;
  out["model"] = ids.model;
  nlohmann::ordered_json message{{"role", "assistant"}, {"content", outcome.response}};
  out["choices"] = nlohmann::ordered_json::array(
      {{{"index", 0}, {"message", message}, {"finish_reason", outcome.finish_reason}}});
  out["usage"] = {{"prompt_tokens", outcome.prompt_tokens},
                  {"completion_tokens", outcome.completion_tokens},
                  {"total_tokens", outcome.prompt_tokens + outcome.completion_tokens}};
  out["sources"] = sources_to_json(outcome.sources);
  if (outcome.mode == chat::AnswerMode::kExtractive) out["mode"] = "extractive";
  return out;
}

nlohmann::ordered_json chunk_json(const CompletionIds& ids, nlohmann::ordered_json delta,
                                  std::string_view finish_reason) {
  nlohmann::ordered_json out;
  out["id"] = ids.id;
  out["object"] = "chat.completion.chunk";
  out["created"] = ids.created;
  out["model"] = ids.model;
  nlohmann::ordered_json choice;
  choice["index"] = 0;
  choice["delta"] = std::move(delta);
  choice["finish_reason"] =
      finish_reason.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(finish_reason);
  out["choices"] = nlohmann::ordered_json::array({choice});
  return out;
}

nlohmann::ordered_json models_json(std::string_view model_id, std::int64_t created) {
  nlohmann::ordered_json model{{"id", model_id}, {"object", "model"}, {"created", created},
                               {"owned_by", "rag-server"}};
  return {{"object", "list"}, {"data", nlohmann::ordered_json::array({model})}};
}

}  // namespace rag::api
