#include "api/chat_api.hpp"

#include "common/utf8.hpp"
#include "chat/text.hpp"

namespace rag::api {
namespace {

using nlohmann::json;

Loc extend(Loc loc, LocItem item) {
  loc.push_back(std::move(item));
  return loc;
}

// An optional string field: absent or null → nullopt (no error).
std::optional<std::string> optional_str(const json& obj, std::string_view name, const Loc& loc,
                                        ValidationErrors& errors) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  return coerce_str(*it, loc, errors);
}

std::optional<session::Message> parse_history_item(const json& item, const Loc& loc,
                                                   std::size_t max_chars,
                                                   ValidationErrors& errors) {
  if (!item.is_object()) {
    errors.add(not_dict_error(loc));
    return std::nullopt;
  }
  const std::size_t before = errors.errors().size();
  session::Message m;
  const auto role_loc = extend(loc, std::string("role"));
  auto role = item.find("role");
  if (role == item.end()) {
    errors.add(missing_error(role_loc));
  } else if (role->is_null()) {
    errors.add(none_not_allowed_error(role_loc));
  } else if (auto r = coerce_str(*role, role_loc, errors)) {
    if (*r != "user" && *r != "assistant")
      errors.add(enum_error(role_loc, {"user", "assistant"}));
    m.role = std::move(*r);
  }
  const auto content_loc = extend(loc, std::string("content"));
  auto content = item.find("content");
  if (content == item.end()) {
    errors.add(missing_error(content_loc));
  } else if (content->is_null()) {
    errors.add(none_not_allowed_error(content_loc));
  } else if (auto c = coerce_str(*content, content_loc, errors)) {
    if (utf8_length(*c) > max_chars) errors.add(max_length_error(content_loc, max_chars));
    m.content = std::move(*c);
  }
  if (auto ts = optional_str(item, "timestamp", extend(loc, std::string("timestamp")), errors))
    m.timestamp = std::move(*ts);
  if (errors.errors().size() != before) return std::nullopt;
  return m;
}

std::optional<session::History> parse_history(const json& obj, const InputLimits& limits,
                                              ValidationErrors& errors) {
  auto it = obj.find("history");
  if (it == obj.end() || it->is_null()) return std::nullopt;
  const auto loc = body_loc("history");
  if (!it->is_array()) {
    errors.add(not_list_error(loc));
    return std::nullopt;
  }
  if (it->size() > limits.max_history_messages) {
    errors.add(max_items_error(loc, limits.max_history_messages));
    return std::nullopt;
  }
  session::History history;
  for (std::size_t i = 0; i < it->size() && !errors.full(); ++i) {
    auto m = parse_history_item((*it)[i], extend(loc, static_cast<std::int64_t>(i)),
                                limits.max_history_chars, errors);
    if (m) history.push_back(std::move(*m));
  }
  return history;
}

}  // namespace

bool check_session_id(std::string_view value, const Loc& loc, ValidationErrors& errors) {
  if (session::is_valid_session_id(value)) return true;
  errors.add(regex_error(loc, kSessionIdPattern));
  return false;
}

std::expected<ChatBody, ValidationErrors> parse_chat_request(std::string_view body,
                                                             std::string_view content_type,
                                                             const InputLimits& limits) {
  auto parsed = parse_json_object_body(body, content_type);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const json& obj = *parsed;
  ValidationErrors errors;
  ChatBody out;

  const auto message_loc = body_loc("message");
  auto message = obj.find("message");
  if (message == obj.end()) {
    errors.add(missing_error(message_loc));
  } else if (message->is_null()) {
    errors.add(none_not_allowed_error(message_loc));
  } else if (auto m = coerce_str(*message, message_loc, errors)) {
    if (utf8_length(*m) > limits.max_message_chars)
      errors.add(max_length_error(message_loc, limits.max_message_chars));
    out.message = std::move(*m);
  }

  const auto id_loc = body_loc("session_id");
  if (auto id = optional_str(obj, "session_id", id_loc, errors)) {
    if (check_session_id(*id, id_loc, errors)) out.session_id = std::move(*id);
  }

  out.history = parse_history(obj, limits, errors);

  auto stream = obj.find("stream");
  if (stream != obj.end() && !stream->is_null()) {
    if (auto b = coerce_bool(*stream, body_loc("stream"), errors)) out.stream = *b;
  }

  if (!errors.empty()) return std::unexpected(std::move(errors));
  return out;
}

nlohmann::ordered_json source_to_json(const chat::Source& source) {
  nlohmann::ordered_json s;
  s["url"] = source.url;
  s["title"] = source.title;
  s["content_preview"] = chat::preview(source.content, 200);
  s["content_full"] = source.content;
  s["similarity_score"] = source.similarity_score;
  if (source.cited) s["cited"] = *source.cited;
  return s;
}

nlohmann::ordered_json sources_to_json(const std::vector<chat::Source>& sources) {
  auto out = nlohmann::ordered_json::array();
  for (const auto& s : sources) out.push_back(source_to_json(s));
  return out;
}

std::string dump_json(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

nlohmann::ordered_json chat_response_json(const chat::ChatOutcome& outcome) {
  nlohmann::ordered_json out;
  out["response"] = outcome.response;
  out["session_id"] = outcome.session_id;
  out["timestamp"] = outcome.timestamp;
  out["sources"] = sources_to_json(outcome.sources);
  if (outcome.mode == chat::AnswerMode::kExtractive) out["mode"] = "extractive";
  return out;
}

}  // namespace rag::api
