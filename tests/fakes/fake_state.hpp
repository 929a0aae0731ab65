// Internal to the fake upstream: its scripted faults, settings and request log, and the
// answer builders (chat JSON, SSE chunks, embeddings). Guarded by one mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fake_upstream.hpp"

namespace rag::fakes {

struct Fault {
  std::string match;  // applies to the first request whose target contains this ("" = any)
  int status = 0;     // 0 = answer normally (after delay)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;   // for a status; default: an OpenAI-style error object
  int delay_ms = 0;
  bool hang = false;
  bool reset = false;
  bool close_after = false;  // answer normally, then close the connection (an idle timeout)
  int truncate_stream_after = -1;
  bool cut_mid_event = false;  // with truncate_stream_after: end inside the next SSE event
  bool malformed_json = false;
  int embedding_dim = 0;
};

struct Settings {
  int latency_ms = 0;
  int embedding_dim = 64;
  int stream_delay_ms = 0;
  int max_inputs = 0;    // 0 = unlimited; more inputs → 400 "Too many inputs"
  std::string answer;    // fixed chat answer; "" = echo-based
  bool reverse_embeddings = true;  // list data in reverse order (clients must use `index`)
};

// One answer to send, computed from a request and a fault.
struct Plan {
  int delay_ms = 0;
  bool hang = false;
  bool reset = false;               // alone: RST at once; with truncate_after: RST at the cut
  bool close_after = false;         // close the connection after a normal answer
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                 // for non-stream answers
  std::vector<std::string> events;  // SSE data payloads for streams (without "data: ")
  std::vector<bool> is_delta;       // per event: carries a content delta
  bool stream = false;
  int truncate_after = -1;          // content events to send before cutting the connection
  bool cut_mid_event = false;       // send half of the next event before cutting
  int stream_delay_ms = 0;
};

struct FakeUpstream::State {
  mutable std::mutex mutex;
  FakeUpstream::Options options;
  Settings settings;              // guarded by mutex
  std::deque<Fault> faults;       // guarded by mutex
  std::vector<FakeUpstream::Recorded> recorded;  // guarded by mutex
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> closed_connections{0};  // closed by either side, socket released

  bool add_faults(const std::string& json_text);
  bool apply_config(const std::string& json_text);
  std::string config_json() const;
  std::string requests_json() const;
  void reset();
  void record(FakeUpstream::Recorded r);
  std::optional<Fault> take_fault(const std::string& target);
  Settings current() const;
};

// Builds the answer for an API request (chat, embeddings, models) under `fault`.
Plan plan_answer(const std::string& method, const std::string& target, const std::string& body,
                 const Settings& settings, const std::optional<Fault>& fault);

}  // namespace rag::fakes
