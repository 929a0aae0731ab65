// The fake upstream's control state: scripted faults, settings, request log (fake_state.hpp).
#include <algorithm>

#include "fake_state.hpp"

namespace rag::fakes {
namespace {

using json = nlohmann::json;

Fault parse_fault(const json& j) {
  Fault f;
  if (j.is_number_integer()) {  // a bare status: 500
    f.status = j.get<int>();
    return f;
  }
  f.match = j.value("match", "");
  f.status = j.value("status", 0);
  if (j.contains("headers") && j["headers"].is_object())
    for (const auto& [k, v] : j["headers"].items())
      f.headers.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  if (j.contains("body")) f.body = j["body"].is_string() ? j["body"].get<std::string>() : j["body"].dump();
  f.delay_ms = j.value("delay_ms", 0);
  f.hang = j.value("hang", false);
  f.reset = j.value("reset", false);
  f.close_after = j.value("close_after", false);
  f.truncate_stream_after = j.value("truncate_stream_after", -1);
  f.cut_mid_event = j.value("cut_mid_event", false);
  f.malformed_json = j.value("malformed_json", false);
  f.embedding_dim = j.value("embedding_dim", 0);
  return f;
}

}  // namespace

std::string FakeUpstream::Recorded::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

bool FakeUpstream::State::add_faults(const std::string& json_text) {
  const json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded()) return false;
  try {
    std::vector<Fault> parsed;
    if (j.is_array()) {
      for (const auto& item : j) parsed.push_back(parse_fault(item));
    } else if (j.is_object() && j.contains("faults") && j["faults"].is_array()) {
      for (const auto& item : j["faults"]) parsed.push_back(parse_fault(item));
    } else {
      parsed.push_back(parse_fault(j));
    }
    std::lock_guard lock(mutex);
    for (auto& f : parsed) faults.push_back(std::move(f));
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

bool FakeUpstream::State::apply_config(const std::string& json_text) {
  const json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  try {
    std::lock_guard lock(mutex);
    settings.latency_ms = j.value("latency_ms", settings.latency_ms);
    settings.embedding_dim = j.value("embedding_dim", settings.embedding_dim);
    settings.stream_delay_ms = j.value("stream_delay_ms", settings.stream_delay_ms);
    settings.max_inputs = j.value("max_inputs", settings.max_inputs);
    settings.answer = j.value("answer", settings.answer);
    settings.reverse_embeddings = j.value("reverse_embeddings", settings.reverse_embeddings);
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

std::string FakeUpstream::State::config_json() const {
  std::lock_guard lock(mutex);
  return json{{"latency_ms", settings.latency_ms}, {"embedding_dim", settings.embedding_dim},
              {"stream_delay_ms", settings.stream_delay_ms}, {"max_inputs", settings.max_inputs},
              {"answer", settings.answer}, {"reverse_embeddings", settings.reverse_embeddings},
              {"pending_faults", faults.size()}}.dump();
}

std::string FakeUpstream::State::requests_json() const {
  json out = json::array();
  std::lock_guard lock(mutex);
  for (const auto& r : recorded) {
    json headers = json::object();
    for (const auto& [k, v] : r.headers) headers[k] = v;
    out.push_back({{"method", r.method}, {"path", r.target}, {"headers", headers},
                   {"body", r.body}, {"time", r.time_s},
                   {"connection", r.connection}});
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

void FakeUpstream::State::reset() {
  std::lock_guard lock(mutex);
  faults.clear();
  recorded.clear();
  settings = Settings{};
  settings.latency_ms = options.latency_ms;
  settings.embedding_dim = options.embedding_dim;
  settings.stream_delay_ms = options.stream_delay_ms;
}

void FakeUpstream::State::record(FakeUpstream::Recorded r) {
  std::lock_guard lock(mutex);
  if (recorded.size() < 100000) recorded.push_back(std::move(r));
}

std::optional<Fault> FakeUpstream::State::take_fault(const std::string& target) {
  std::lock_guard lock(mutex);
  auto it = std::find_if(faults.begin(), faults.end(), [&](const Fault& f) {
    return f.match.empty() || target.find(f.match) != std::string::npos;
  });
  if (it == faults.end()) return std::nullopt;
  Fault f = std::move(*it);
  faults.erase(it);
  return f;
}

Settings FakeUpstream::State::current() const {
  std::lock_guard lock(mutex);
  return settings;
}

}  // namespace rag::fakes
