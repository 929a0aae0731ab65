// The server's configuration: one immutable value built at start-up from flags, the
// environment and a `.env` file (in that order of precedence), validated as a whole.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/secret.hpp"

namespace rag::config {

using Seconds = std::chrono::duration<double>;

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// "20/minute" → {20, 60 s, "minute"}; "off" → enabled = false.
struct RateLimitSpec {
  bool enabled = true;
  int count = 0;
  int period_seconds = 60;
  std::string unit = "minute";  // singular, as in "20 per 1 minute"

  // The text of the 429 body: "Rate limit exceeded: 20 per 1 minute".
  std::string describe() const;
};

// An IPv4 or IPv6 network; IPv4 addresses are held as IPv4-mapped IPv6 (::ffff:a.b.c.d).
struct Cidr {
  std::array<std::uint8_t, 16> address{};
  int prefix = 128;
  bool contains(const std::array<std::uint8_t, 16>& ip) const;
};

struct Config {
  // Upstream (Azure OpenAI, the Python design's names).
  std::string azure_chat_endpoint;
  Secret azure_chat_api_key;
  std::string azure_embeddings_endpoint;
  Secret azure_embeddings_api_key;
  // OpenAI-compatible upstream.
  std::string openai_base_url;
  Secret openai_api_key;
  std::string chat_model;
  std::string embeddings_model;

  // HTTP server.
  std::string host = "0.0.0.0";
  std::uint16_t port = 8000;
  int workers = 4;
  LogLevel log_level = LogLevel::kInfo;
  std::vector<std::string> allowed_origins{"http://localhost:3000"};
  std::vector<Cidr> trusted_proxies;
  std::string ssl_certfile;
  std::string ssl_keyfile;
  Seconds graceful_timeout{30};
  Seconds keepalive{5};
  Seconds request_timeout{120};
  Seconds header_timeout{10};
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::size_t max_message_chars = 8000;
  std::size_t max_history_messages = 200;  // items in a request's history
  std::size_t max_history_chars = 16000;   // characters of one history item
  std::size_t max_query_chars = 8000;      // characters of a /search query
  std::size_t max_concurrent_requests = 10000;
  std::size_t max_connections = 10000;  // open client connections (more: 503 and closed)
  std::string server_name = "RAG Server";
  std::string site_url;  // where the indexed site is published (chat page links); "" = none

  // Index and retrieval.
  std::filesystem::path vector_db_path = "vector_db";
  Seconds index_load_wait{30};  // how long serve waits for the first load before listening
  double search_min_score = 0.3;
  double fusion_dense_weight = 0.1;  // FUSION_DENSE_WEIGHT
  std::size_t hnsw_min_vectors = 100000;  // exact search below, HNSW at or above

  // Conversations.
  int max_conversation_history = 20;
  Seconds session_timeout{24 * 3600};
  Seconds cleanup_interval{60 * 60};
  std::size_t max_sessions = 100000;
  std::size_t max_session_bytes = 64 << 10;  // bytes of messages one session keeps
  std::string system_prompt_file;
  std::string refusal_text;  // empty: the built-in refusal
  double chat_temperature = 0.1;
  int chat_max_tokens = 1000;

  // Upstream call policy.
  int llm_max_retries = 3;
  Seconds llm_base_delay{2.0};
  Seconds llm_max_delay{30};
  Seconds llm_timeout{60};
  int llm_breaker_failures = 5;           // consecutive failed attempts that open a circuit breaker
  Seconds llm_breaker_cooldown{30};       // how long an open breaker fails calls fast
  std::size_t max_upstream_calls = 1000;  // chat calls in flight at once (more: 503)
  int embed_batch_size = 16;
  int embed_concurrency = 4;

  // Guards and shared state.
  RateLimitSpec rate_limit_health{true, 60, 60, "minute"};
  RateLimitSpec rate_limit_search{true, 30, 60, "minute"};
  RateLimitSpec rate_limit_chat{true, 20, 60, "minute"};
  std::string redis_url;

  // Logs.
  std::filesystem::path log_dir = "logs";

  // Feedback and unanswered questions (docs/operations.md, "Improving the answers").
  bool feedback = true;                          // FEEDBACK=on|off
  Seconds feedback_retention{30 * 24 * 3600};   // FEEDBACK_RETENTION_DAYS
  RateLimitSpec rate_limit_feedback{true, 10, 60, "minute"};
  std::filesystem::path state_dir = "state";    // writable; the index folder stays read-only

  bool has_azure_chat() const { return !azure_chat_endpoint.empty(); }
  bool has_openai_chat() const { return !openai_base_url.empty() && !chat_model.empty(); }
  bool has_chat_upstream() const { return has_azure_chat() || has_openai_chat(); }
  bool has_azure_embeddings() const { return !azure_embeddings_endpoint.empty(); }
  bool has_openai_embeddings() const {
    return !openai_base_url.empty() && !embeddings_model.empty();
  }
  bool has_embeddings_upstream() const {
    return has_azure_embeddings() || has_openai_embeddings();
  }
  // Every secret value configured, for redaction and leak scans.
  std::vector<std::string> secrets() const;
};

std::string_view to_string(LogLevel level);

}  // namespace rag::config
