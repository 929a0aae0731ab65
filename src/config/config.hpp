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

// VECTOR_INDEX (retrieval/vector_index.hpp has the index kinds).
enum class VectorIndexChoice { kAuto, kExact, kIvf, kHnsw };

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

// Every field is one setting of the table in config/loader.cpp (docs/configuration.md describes
// each). Its default is written only there: the constructor applies each row's default text with
// the parser that reads a user's value, so --help, the docs and the code cannot disagree.
struct Config {
  Config();  // every setting at its default

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
  std::string host;
  std::uint16_t port{};  // 0: any free port, the one chosen is logged
  int workers{};
  LogLevel log_level{};
  std::vector<std::string> allowed_origins;
  std::vector<Cidr> trusted_proxies;
  std::string ssl_certfile;
  std::string ssl_keyfile;
  Seconds graceful_timeout{};
  Seconds keepalive{};
  Seconds request_timeout{};
  Seconds header_timeout{};
  std::size_t max_body_bytes{};
  std::size_t max_header_bytes{};
  std::size_t max_message_chars{};
  std::size_t max_history_messages{};     // items in a request's history
  std::size_t max_history_chars{};        // characters of one history item
  std::size_t max_query_chars{};          // characters of a /search query
  std::size_t max_concurrent_requests{};  // requests in progress (more: 503)
  std::size_t max_connections{};          // open client connections (more: 503 and closed)
  std::string server_name;
  std::string site_url;  // where the indexed site is published (chat page links); "" = none

  // Index and retrieval.
  std::filesystem::path vector_db_path;
  Seconds index_load_wait{};  // how long serve waits for the first load before listening
  double search_min_score{};
  double fusion_dense_weight{};
  VectorIndexChoice vector_index{};  // VECTOR_INDEX
  std::size_t hnsw_min_vectors{};    // VECTOR_INDEX=auto: exact search below, IVF at or above
  std::size_t ivf_probes{};          // IVF lists searched per query

  // Conversations.
  int max_conversation_history{};
  Seconds session_timeout{};
  Seconds cleanup_interval{};
  std::size_t max_sessions{};
  std::size_t max_session_bytes{};  // bytes of messages one session keeps
  std::string system_prompt_file;
  std::string refusal_text;  // empty: the built-in refusal
  double chat_temperature{};
  int chat_max_tokens{};

  // Upstream call policy.
  int llm_max_retries{};
  Seconds llm_base_delay{};
  Seconds llm_max_delay{};
  Seconds llm_timeout{};
  int llm_breaker_failures{};        // consecutive failed attempts that open a circuit breaker
  Seconds llm_breaker_cooldown{};    // how long an open breaker fails calls fast
  std::size_t max_upstream_calls{};  // chat calls in flight at once (more: 503)
  int embed_batch_size{};
  int embed_concurrency{};

  // Guards and shared state.
  RateLimitSpec rate_limit_health;
  RateLimitSpec rate_limit_search;
  RateLimitSpec rate_limit_chat;
  std::string redis_url;  // may hold a password: its user-info is among secrets()

  // Logs.
  std::filesystem::path log_dir;

  // Feedback and unanswered questions (docs/operations.md, "Improving the answers").
  bool feedback{};
  Seconds feedback_retention{};
  RateLimitSpec rate_limit_feedback;
  std::filesystem::path state_dir;  // writable; the index folder stays read-only

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
  // Every secret configured, for redaction and leak scans: the value of each Secret field and
  // the user-info of each URL setting (REDIS_URL's password above all), as the table's kinds say.
  std::vector<std::string> secrets() const;
};

std::string_view to_string(LogLevel level);

}  // namespace rag::config
