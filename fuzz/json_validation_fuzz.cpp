// Fuzz target `json_validation`: every JSON endpoint's request parsing and validation without
// HTTP (api/validation.hpp, search_api, chat_api, openai_api). Layout: byte 0 picks the
// endpoint (0 /search, 1 /chat, 2 /v1/chat/completions, 3 the shared body parser and the
// pydantic coercions), byte 1 the Content-Type, byte 2 a small or the default message limit;
// the rest is the body.
// Oracles: what a parser accepts satisfies the documented limits (k in 1..50, message within
// MAX_MESSAGE_CHARS code points, session id of the allowed form, roles user/assistant,
// temperature 0..2, max_tokens >= 1); every error body is valid JSON and valid UTF-8 (a 422
// never echoes raw bytes) and lists at most ValidationErrors::kMaxErrors errors; the body
// parser's UTF-8 rule (rag::is_valid_utf8) agrees with an independent decoder.
#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "api/chat_api.hpp"
#include "api/openai_api.hpp"
#include "api/search_api.hpp"
#include "api/validation.hpp"
#include "common/utf8.hpp"
#include "fuzz_target.hpp"

namespace api = rag::api;
using rag::fuzz::check;

namespace {

constexpr std::array<std::string_view, 7> kContentTypes = {
    "",           "application/json", "application/json; charset=utf-8", "text/plain",
    "application/vnd.api+json", "APPLICATION/JSON", "multipart/form-data; boundary=x"};

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool sane_session_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void check_json_text(const std::string& text, std::string_view what) {
  check(rag::fuzz::valid_utf8(text), what);
  check(nlohmann::json::accept(text), what);
}

void check_validation_errors(const api::ValidationErrors& errors) {
  check(!errors.empty(), "a rejected body with no error");
  check(errors.errors().size() <= api::ValidationErrors::kMaxErrors, "422 over the error cap");
  const std::string body = errors.body();
  check_json_text(body, "422 body is not valid JSON / UTF-8");
  check(nlohmann::json::parse(body).at("detail").is_array(), "422 body without a detail list");
}

void fuzz_search(std::string_view body, std::string_view type) {
  auto req = api::parse_search_request(body, type);
  if (!req) return check_validation_errors(req.error());
  check(req->k >= 1 && req->k <= api::kMaxSearchK, "search: k outside 1..50 accepted");
  check(rag::fuzz::valid_utf8(req->query), "search: query is not valid UTF-8");
}

void fuzz_chat(std::string_view body, std::string_view type, std::size_t max_chars) {
  auto req = api::parse_chat_request(body, type, {.max_message_chars = max_chars});
  if (!req) return check_validation_errors(req.error());
  check(code_points(req->message) <= max_chars, "chat: message over MAX_MESSAGE_CHARS accepted");
  check(rag::fuzz::valid_utf8(req->message), "chat: message is not valid UTF-8");
  if (req->session_id) check(sane_session_id(*req->session_id), "chat: bad session id accepted");
  if (req->history)
    for (const auto& m : *req->history)
      check(m.role == "user" || m.role == "assistant", "chat: history role not user/assistant");
}

void fuzz_openai(std::string_view body, std::string_view type, std::size_t max_chars) {
  auto req = api::parse_openai_request(body, type, {.max_message_chars = max_chars});
  if (!req) {
    check(req.error().status >= 400 && req.error().status < 500, "openai: error not a 4xx");
    check_json_text(api::openai_error_body(req.error()), "openai error body is not valid JSON");
    return;
  }
  check(code_points(req->question) <= max_chars, "openai: question over the limit accepted");
  if (req->temperature)
    check(*req->temperature >= 0 && *req->temperature <= 2, "openai: temperature outside 0..2");
  if (req->max_tokens) check(*req->max_tokens >= 1, "openai: max_tokens < 1 accepted");
  for (const auto& m : req->history)
    check(m.role == "user" || m.role == "assistant", "openai: history role not user/assistant");
}

void fuzz_body_parser(std::string_view body, std::string_view type, int max_depth) {
  check(rag::is_valid_utf8(body) == rag::fuzz::valid_utf8(body),
        "is_valid_utf8 disagrees with an independent decoder");
  auto parsed = api::parse_json_object_body(body, type, api::BodyLimits{max_depth});
  if (!parsed) return check_validation_errors(parsed.error());
  check(parsed->is_object(), "parse_json_object_body accepted a non-object");
  api::ValidationErrors errors;
  for (const auto& [key, value] : parsed->items()) {
    const api::Loc loc = api::body_loc(key);
    if (auto s = api::coerce_str(value, loc, errors))
      check(rag::fuzz::valid_utf8(*s), "coerce_str: result is not valid UTF-8");
    if (auto n = api::coerce_int(value, loc, errors)) api::check_range(*n, 1, 50, loc, errors);
    (void)api::coerce_bool(value, loc, errors);
  }
  if (!errors.empty()) check_validation_errors(errors);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rag::fuzz::Input in(data, size);
  const auto endpoint = in.byte() % 4;
  const auto type = kContentTypes[in.byte() % kContentTypes.size()];
  const auto limit_byte = in.byte();
  const std::size_t max_chars = (limit_byte & 1) ? 8000 : limit_byte / 2;
  const std::string_view body = in.rest();
  switch (endpoint) {
    case 0: fuzz_search(body, type); break;
    case 1: fuzz_chat(body, type, max_chars); break;
    case 2: fuzz_openai(body, type, max_chars); break;
    default: fuzz_body_parser(body, type, 1 + limit_byte % 64); break;
  }
  return 0;
}
