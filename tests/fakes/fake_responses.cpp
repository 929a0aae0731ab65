// The fake upstream's answers and control state (see fake_state.hpp): deterministic chat text
// that echoes the last user message, SSE chunk sequences shaped like Azure's (an empty-choices
// prompt_filter_results chunk, content-filter fields, a chunk without delta) or OpenAI's, and
// feature-hashed embeddings.
#include <cctype>
#include <cmath>
#include <algorithm>
#include <string_view>

#include "fake_state.hpp"

namespace rag::fakes {
namespace {

using json = nlohmann::json;

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string error_body(int status) {
  std::string message = status == 429   ? "Rate limit is exceeded. Try again later."
                        : status == 401 ? "Access denied due to invalid subscription key."
                                        : "The fake upstream was told to fail.";
  return json{{"error", {{"code", std::to_string(status)}, {"message", message}}}}.dump();
}

std::string last_user_message(const json& request) {
  std::string last;
  if (request.contains("messages") && request["messages"].is_array())
    for (const auto& m : request["messages"])
      if (m.value("role", "") == "user" && m.contains("content") && m["content"].is_string())
        last = m["content"].get<std::string>();
  return last;
}

std::string chat_text(const json& request, const Settings& settings) {
  if (!settings.answer.empty()) return settings.answer;
  auto w = words(last_user_message(request));
  if (w.size() > 40) w.resize(40);
  std::string text = "FAKE-ANSWER:";
  for (const auto& x : w) text += " " + x;
  return text + ".";
}

json chunk(const json& choices, bool azure) {
  json c = {{"id", "chatcmpl-fake"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
            {"model", "fake-model"}, {"choices", choices}};
  if (azure) c["system_fingerprint"] = nullptr;
  return c;
}

void push(Plan& plan, const json& event, bool is_delta) {
  plan.events.push_back(event.dump());
  plan.is_delta.push_back(is_delta);
}

void stream_events(Plan& plan, const std::string& text, bool azure) {
  const json filters = {{"hate", {{"filtered", false}, {"severity", "safe"}}}};
  if (azure)
    push(plan, json{{"id", ""}, {"object", ""}, {"created", 0}, {"model", ""},
                               {"choices", json::array()},
                               {"prompt_filter_results",
                                {{{"prompt_index", 0}, {"content_filter_results", filters}}}}},
         false);
  push(plan,
       chunk({{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}},
               {"finish_reason", nullptr}}}, azure),
       false);
  // One delta per word, with the whitespace before it as the answer has it (a Markdown
  // answer's line breaks survive the stream); leading and trailing whitespace are dropped.
  constexpr std::string_view kBlank = " \t\n\r\f\v";
  std::string_view rest = text;
  rest.remove_prefix(std::min(rest.find_first_not_of(kBlank), rest.size()));
  for (auto word = rest.find_first_not_of(kBlank); word != std::string_view::npos;
       word = rest.find_first_not_of(kBlank)) {
    const auto end = std::min(rest.find_first_of(kBlank, word), rest.size());
    json choice = {{"index", 0}, {"delta", {{"content", std::string(rest.substr(0, end))}}},
                   {"finish_reason", nullptr}};
    rest.remove_prefix(end);
    if (azure) choice["content_filter_results"] = filters;
    json choices = json::array();
    choices.push_back(std::move(choice));
    push(plan, chunk(choices, azure), true);
  }
  if (azure)  // Azure's asynchronous filter: a choice without delta
    push(plan, chunk({{{"index", 0}, {"finish_reason", nullptr},
                       {"content_filter_results", filters},
                       {"content_filter_offsets", {{"check_offset", 0}}}}}, azure), false);
  push(plan, chunk({{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}}, azure),
       false);
  plan.events.push_back("[DONE]");
  plan.is_delta.push_back(false);
}

void chat_answer(Plan& plan, const json& request, const Settings& settings, bool azure) {
  const std::string text = chat_text(request, settings);
  if (request.value("stream", false)) {
    plan.stream = true;
    stream_events(plan, text, azure);
    return;
  }
  json body = {{"id", "chatcmpl-fake"}, {"object", "chat.completion"}, {"created", 1700000000},
               {"model", request.value("model", "fake-model")},
               {"choices", {{{"index", 0},
                             {"message", {{"role", "assistant"}, {"content", text}}},
                             {"finish_reason", "stop"}}}},
               {"usage", {{"prompt_tokens", 10}, {"completion_tokens", static_cast<int>(
                                                                           words(text).size())},
                          {"total_tokens", 10 + static_cast<int>(words(text).size())}}}};
  if (azure) body["prompt_filter_results"] = json::array();
  plan.body = body.dump();
}

void embeddings_answer(Plan& plan, const json& request, const Settings& settings, int dim) {
  std::vector<std::string> inputs;
  if (request.contains("input")) {
    if (request["input"].is_string()) inputs.push_back(request["input"].get<std::string>());
    else if (request["input"].is_array())
      for (const auto& x : request["input"]) inputs.push_back(x.is_string() ? x.get<std::string>() : x.dump());
  }
  if (settings.max_inputs > 0 && static_cast<int>(inputs.size()) > settings.max_inputs) {
    plan.status = 400;
    plan.body = json{{"error", {{"code", "BadRequest"},
                                {"message", "Too many inputs. The max number of inputs is " +
                                                std::to_string(settings.max_inputs) +
                                                ".  We hope to increase the number of inputs "
                                                "per request soon."}}}}.dump();
    return;
  }
  json data = json::array();
  for (std::size_t i = 0; i < inputs.size(); ++i)
    data.push_back({{"object", "embedding"}, {"index", i},
                    {"embedding", fake_embedding(inputs[i], dim)}});
  if (settings.reverse_embeddings) std::reverse(data.begin(), data.end());
  plan.body = json{{"object", "list"}, {"data", data},
                   {"model", request.value("model", "fake-embedding")},
                   {"usage", {{"prompt_tokens", 1}, {"total_tokens", 1}}}}.dump();
}

}  // namespace

std::vector<float> fake_embedding(const std::string& text, int dimension) {
  std::vector<float> v(std::max(1, dimension), 0.0f);
  for (const auto& w : words(text)) {
    const std::uint64_t h = fnv1a(w);
    v[h % v.size()] += (h >> 63) ? -1.0f : 1.0f;
  }
  double norm = 0;
  for (float x : v) norm += double(x) * x;
  if (norm == 0) {
    v[0] = 1.0f;
    return v;
  }
  const float scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= scale;
  return v;
}

Plan plan_answer(const std::string& method, const std::string& target, const std::string& body,
                 const Settings& settings, const std::optional<Fault>& fault) {
  Plan plan;
  plan.delay_ms = settings.latency_ms + (fault ? fault->delay_ms : 0);
  plan.stream_delay_ms = settings.stream_delay_ms;
  plan.headers.emplace_back("content-type", "application/json");
  if (fault) {
    plan.hang = fault->hang;
    plan.reset = fault->reset;
    plan.close_after = fault->close_after;
    plan.truncate_after = fault->truncate_stream_after;
    plan.cut_mid_event = fault->cut_mid_event;
    if (fault->status != 0) {
      plan.status = fault->status;
      plan.body = fault->body.empty() ? error_body(fault->status) : fault->body;
      for (const auto& h : fault->headers) plan.headers.push_back(h);
      return plan;
    }
    if (fault->malformed_json) {
      plan.body = "{\"choices\": [{\"message\": ";
      return plan;
    }
  }
  const std::string path = target.substr(0, target.find('?'));
  const bool azure = path.starts_with("/openai/deployments/");
  if (method == "GET" && path == "/v1/models") {
    plan.body = json{{"object", "list"},
                     {"data", {{{"id", "fake-model"}, {"object", "model"}, {"owned_by", "fake"}},
                               {{"id", "fake-embedding"}, {"object", "model"},
                                {"owned_by", "fake"}}}}}.dump();
    return plan;
  }
  const bool chat = path.ends_with("/chat/completions") && (azure || path == "/v1/chat/completions");
  const bool embed = path.ends_with("/embeddings") && (azure || path == "/v1/embeddings");
  if (method != "POST" || (!chat && !embed)) {
    plan.status = 404;
    plan.body = json{{"error", {{"code", "404"}, {"message", "Resource not found"}}}}.dump();
    return plan;
  }
  const json request = json::parse(body, nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    plan.status = 400;
    plan.body = json{{"error", {{"code", "BadRequest"}, {"message", "invalid JSON body"}}}}.dump();
    return plan;
  }
  if (chat) chat_answer(plan, request, settings, azure);
  else embeddings_answer(plan, request, settings,
                         fault && fault->embedding_dim > 0 ? fault->embedding_dim
                                                           : settings.embedding_dim);
  return plan;
}

}  // namespace rag::fakes
