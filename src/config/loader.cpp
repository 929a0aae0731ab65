// The configuration table: one row per setting with its name, default, help text and kind (the
// parser, the values it allows, what of the value is secret). Everything else is derived from
// the rows: Config's defaults (its constructor applies each default text with the row's parser),
// --help, the "expected ..." errors, Config::secrets(); docs/configuration.md is checked against
// them by config_docs_test.cpp. Adding a setting is adding a row here and a field in Config.
#include "config/loader.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/parse.hpp"

namespace rag::config {
namespace {

// What of a setting's value must never be printed.
enum class Secrecy {
  kNone,      // printable (a URL's user-info is still masked when a value is echoed)
  kValue,     // a Secret field: never echoed, listed whole by Config::secrets()
  kUserInfo,  // a URL: the user:password before '@' is listed by Config::secrets()
};

struct Kind {
  using Apply = std::function<bool(Config&, std::string_view)>;
  using Text = std::function<std::string_view(const Config&)>;
  Kind(Apply apply, std::string allowed, Secrecy secrecy = Secrecy::kNone, Text text = {})
      : apply(std::move(apply)),
        allowed(std::move(allowed)),
        secrecy(secrecy),
        text(std::move(text)) {}

  Apply apply;          // false: the value is not `allowed`
  std::string allowed;  // "an integer from 1 to 256", after "expected" in errors; "" = any text
  Secrecy secrecy;
  Text text;  // the value, when it can hold a secret
};

struct Row {
  struct {
    const char* name;
    const char* default_text;  // parsed like a user's value ("" = the field's empty value)
    const char* help;
  } doc;
  Kind kind;
};

// Builders for the kinds of value.
template <class Int>
Kind integer(Int Config::*field, long long lo, long long hi) {
  return {[=](Config& c, std::string_view v) {
            auto n = parse_int(v);
            if (!n || *n < lo || *n > hi) return false;
            c.*field = static_cast<Int>(*n);
            return true;
          },
          "an integer from " + std::to_string(lo) + " to " + std::to_string(hi)};
}

Kind real(double Config::*field, double lo, double hi) {
  return {[=](Config& c, std::string_view v) {
            auto x = parse_double(v);
            if (!x || *x < lo || *x > hi) return false;
            c.*field = *x;
            return true;
          },
          "a number from " + format_number(lo) + " to " + format_number(hi)};
}

// A duration written in `unit`s (`scale` seconds each).
Kind seconds(Seconds Config::*field, double lo, double hi, double scale = 1.0,
             const char* unit = "seconds") {
  return {[=](Config& c, std::string_view v) {
            auto x = parse_double(v);
            if (!x || *x < lo || *x > hi) return false;
            c.*field = Seconds(*x * scale);
            return true;
          },
          "a number of " + std::string(unit) + " from " + format_number(lo) + " to " +
              format_number(hi)};
}

Kind text(std::string Config::*field) {
  return {[=](Config& c, std::string_view v) {
            c.*field = std::string(v);
            return true;
          },
          ""};
}

// A Secret field is secret by its type: this overload is the only way such a row is built.
Kind text(Secret Config::*field) {
  return {[=](Config& c, std::string_view v) {
            c.*field = Secret(std::string(v));
            return true;
          },
          "", Secrecy::kValue,
          [=](const Config& c) -> std::string_view { return (c.*field).reveal(); }};
}

// A URL, empty (unset) or of one of `schemes`; any URL may carry a password in its user-info.
Kind url(std::string Config::*field, std::string allowed = "an http:// or https:// URL",
         std::vector<std::string_view> schemes = {"http://", "https://"}) {
  return {[=](Config& c, std::string_view v) {
            if (!v.empty() && std::none_of(schemes.begin(), schemes.end(),
                                           [&](auto s) { return v.starts_with(s); }))
              return false;
            c.*field = std::string(v);
            return true;
          },
          std::move(allowed), Secrecy::kUserInfo,
          [=](const Config& c) -> std::string_view { return c.*field; }};
}

Kind rate(RateLimitSpec Config::*field) {
  return {[=](Config& c, std::string_view v) {
            auto spec = parse_rate_limit(v);
            if (!spec) return false;
            c.*field = *spec;
            return true;
          },
          std::string(kRateLimitForms)};
}

Kind path(std::filesystem::path Config::*field) {
  return {[=](Config& c, std::string_view v) {
            if (v.empty()) return false;
            c.*field = std::filesystem::path(std::string(v));
            return true;
          },
          "a path"};
}

// Sets `field` to the value `v` names in `choices` (any case, trimmed); false when none.
template <typename T, std::size_t N>
bool apply_choice(T& field, const std::pair<std::string_view, T> (&choices)[N],
                  std::string_view v) {
  const std::string s = lower(trim(v));
  for (const auto& [name, value] : choices) {
    if (s != name) continue;
    field = value;
    return true;
  }
  return false;
}

bool apply_log_level(Config& c, std::string_view v) {
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
      {"debug", LogLevel::kDebug},  {"info", LogLevel::kInfo},   {"warning", LogLevel::kWarning},
      {"warn", LogLevel::kWarning}, {"error", LogLevel::kError}, {"critical", LogLevel::kError}};
  return apply_choice(c.log_level, kLevels, v);
}

bool apply_vector_index(Config& c, std::string_view v) {
  static constexpr std::pair<std::string_view, VectorIndexChoice> kChoices[] = {
      {"auto", VectorIndexChoice::kAuto},
      {"exact", VectorIndexChoice::kExact},
      {"ivf", VectorIndexChoice::kIvf},
      {"hnsw", VectorIndexChoice::kHnsw}};
  return apply_choice(c.vector_index, kChoices, v);
}

bool apply_origins(Config& c, std::string_view v) {
  c.allowed_origins.clear();
  for (auto& item : split(v, ',')) {
    if (item.empty()) continue;
    if (item != "*" && !item.starts_with("http://") && !item.starts_with("https://")) return false;
    while (item.size() > 1 && item.back() == '/') item.pop_back();
    c.allowed_origins.push_back(item);
  }
  return true;
}

bool apply_proxies(Config& c, std::string_view v) {
  c.trusted_proxies.clear();
  for (auto& item : split(v, ',')) {
    if (item.empty()) continue;
    auto cidr = parse_cidr(item);
    if (!cidr) return false;
    c.trusted_proxies.push_back(*cidr);
  }
  return true;
}

bool apply_feedback(Config& c, std::string_view v) {
  if (v != "on" && v != "off") return false;
  c.feedback = v == "on";
  return true;
}

bool apply_host(Config& c, std::string_view v) {
  if (v.empty()) return false;
  c.host = std::string(v);
  return true;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      {{"AZURE_OPENAI_CHAT_ENDPOINT", "",
        "Azure chat URL .../deployments/D/chat/completions?api-version=V"},
       url(&Config::azure_chat_endpoint)},
      {{"AZURE_OPENAI_CHAT_API_KEY", "", "Azure chat key (sent as api-key)"},
       text(&Config::azure_chat_api_key)},
      {{"AZURE_OPENAI_EMBEDDINGS_ENDPOINT", "",
        "Azure embeddings URL .../deployments/D/embeddings?api-version=V"},
       url(&Config::azure_embeddings_endpoint)},
      {{"AZURE_OPENAI_EMBEDDINGS_API_KEY", "", "Azure embeddings key (sent as api-key)"},
       text(&Config::azure_embeddings_api_key)},
      {{"OPENAI_BASE_URL", "", "OpenAI-compatible base URL, e.g. http://localhost:11434/v1"},
       url(&Config::openai_base_url)},
      {{"OPENAI_API_KEY", "", "OpenAI-compatible key (sent as Authorization: Bearer)"},
       text(&Config::openai_api_key)},
      {{"CHAT_MODEL", "", "model name for OpenAI-compatible chat"}, text(&Config::chat_model)},
      {{"EMBEDDINGS_MODEL", "", "model name for OpenAI-compatible embeddings"},
       text(&Config::embeddings_model)},
      {{"HOST", "0.0.0.0", "address to listen on"}, {apply_host, "an IP address or host name"}},
      {{"PORT", "8000", "TCP port to listen on (0: any free port, logged at start)"},
       integer(&Config::port, 0, 65535)},
      {{"WORKERS", "4", "request-handling threads"}, integer(&Config::workers, 1, 256)},
      {{"LOG_LEVEL", "info", "debug, info, warning or error"},
       {apply_log_level, "one of debug, info, warning, error"}},
      {{"ALLOWED_ORIGINS", "http://localhost:3000", "comma-separated CORS allowlist"},
       {apply_origins, "comma-separated origins like https://example.com (or *)"}},
      {{"VECTOR_DB_PATH", "vector_db", "index folder"}, path(&Config::vector_db_path)},
      {{"INDEX_LOAD_WAIT", "30", "seconds serve waits for its index to load before listening"},
       seconds(&Config::index_load_wait, 0, 3600)},
      {{"MAX_CONVERSATION_HISTORY", "20", "messages kept per session"},
       integer(&Config::max_conversation_history, 0, 10000)},
      {{"SESSION_TIMEOUT_HOURS", "24", "idle sessions expire after this many hours"},
       seconds(&Config::session_timeout, 0.001, 24 * 365, 3600, "hours")},
      {{"CLEANUP_INTERVAL_MINUTES", "60", "how often expired sessions are swept"},
       seconds(&Config::cleanup_interval, 0.01, 24 * 60, 60, "minutes")},
      {{"MAX_SESSIONS", "100000", "sessions kept at most (least recently used goes first)"},
       integer(&Config::max_sessions, 1, 100000000)},
      {{"MAX_SESSION_BYTES", "65536", "bytes of messages a session keeps (oldest dropped first)"},
       integer(&Config::max_session_bytes, 1024, 1LL << 30)},
      {{"RATE_LIMIT_HEALTH", "60/minute", "per-IP limit of GET / (N/second|minute|hour, or off)"},
       rate(&Config::rate_limit_health)},
      {{"RATE_LIMIT_SEARCH", "30/minute", "per-IP limit of POST /search"},
       rate(&Config::rate_limit_search)},
      {{"RATE_LIMIT_CHAT", "20/minute", "per-IP limit of POST /chat"},
       rate(&Config::rate_limit_chat)},
      {{"RATE_LIMIT_FEEDBACK", "10/minute", "per-IP limit of POST /feedback"},
       rate(&Config::rate_limit_feedback)},
      {{"TRUSTED_PROXIES", "", "comma-separated CIDRs whose X-Forwarded-For is believed"},
       {apply_proxies, "comma-separated CIDRs like 10.0.0.0/8 or ::1/128"}},
      {{"REDIS_URL", "", "redis://host:port/db for sessions and rate limits shared by replicas"},
       url(&Config::redis_url, "redis://host:port/db", {"redis://"})},
      {{"LOG_DIR", "logs", "folder of the human log rag_server.log"}, path(&Config::log_dir)},
      {{"STATE_DIR", "state", "writable folder of the server's own files (feedback.sqlite)"},
       path(&Config::state_dir)},
      {{"FEEDBACK", "on", "record answers for POST /feedback and `rag-server report` (on|off)"},
       {apply_feedback, "on or off"}},
      {{"FEEDBACK_RETENTION_DAYS", "30", "days answers and their ratings are kept"},
       seconds(&Config::feedback_retention, 1, 3650, 24 * 3600, "days")},
      {{"SSL_CERTFILE", "", "PEM certificate chain: serve HTTPS directly"},
       text(&Config::ssl_certfile)},
      {{"SSL_KEYFILE", "", "PEM private key for SSL_CERTFILE"}, text(&Config::ssl_keyfile)},
      {{"GRACEFUL_TIMEOUT", "30", "seconds to finish in-flight requests on SIGTERM"},
       seconds(&Config::graceful_timeout, 0, 3600)},
      {{"KEEPALIVE", "5", "seconds an idle keep-alive connection stays open"},
       seconds(&Config::keepalive, 0, 3600)},
      {{"REQUEST_TIMEOUT", "120", "seconds a request may take in all"},
       seconds(&Config::request_timeout, 0.1, 86400)},
      {{"HEADER_TIMEOUT", "10", "seconds a client has to send a request's headers and body"},
       seconds(&Config::header_timeout, 0.1, 3600)},
      {{"MAX_BODY_BYTES", "1048576", "largest request body (larger: 413)"},
       integer(&Config::max_body_bytes, 1024, 1LL << 32)},
      {{"MAX_HEADER_BYTES", "16384", "largest request head (larger: 431)"},
       integer(&Config::max_header_bytes, 1024, 1 << 20)},
      {{"MAX_MESSAGE_CHARS", "8000", "longest chat message (longer: 422)"},
       integer(&Config::max_message_chars, 1, 10000000)},
      {{"MAX_HISTORY_MESSAGES", "200", "most items in a request's chat history (more: 422)"},
       integer(&Config::max_history_messages, 1, 100000)},
      {{"MAX_HISTORY_CHARS", "16000", "longest chat history item in characters (longer: 422)"},
       integer(&Config::max_history_chars, 1, 10000000)},
      {{"MAX_QUERY_CHARS", "8000", "longest search query in characters (longer: 422)"},
       integer(&Config::max_query_chars, 1, 10000000)},
      {{"MAX_CONCURRENT_REQUESTS", "10000", "requests in progress at once (more: 503)"},
       integer(&Config::max_concurrent_requests, 1, 10000000)},
      {{"MAX_CONNECTIONS", "10000", "open client connections at once (more: 503 and closed)"},
       integer(&Config::max_connections, 1, 10000000)},
      {{"CHAT_TEMPERATURE", "0.1", "sampling temperature"}, real(&Config::chat_temperature, 0, 2)},
      {{"CHAT_MAX_TOKENS", "1000", "longest answer in tokens"},
       integer(&Config::chat_max_tokens, 1, 1000000)},
      {{"LLM_MAX_RETRIES", "3", "retries of a failed upstream call"},
       integer(&Config::llm_max_retries, 0, 100)},
      {{"LLM_BASE_DELAY", "2.0", "first backoff in seconds (doubles each retry)"},
       seconds(&Config::llm_base_delay, 0, 3600)},
      {{"LLM_MAX_DELAY", "30", "longest backoff in seconds"},
       seconds(&Config::llm_max_delay, 0, 3600)},
      {{"LLM_TIMEOUT", "60", "seconds per upstream attempt"},
       seconds(&Config::llm_timeout, 0.01, 3600)},
      {{"LLM_BREAKER_FAILURES", "5", "consecutive failed upstream attempts that open the circuit"},
       integer(&Config::llm_breaker_failures, 1, 1000)},
      {{"LLM_BREAKER_COOLDOWN", "30", "seconds an open circuit fails calls fast before a probe"},
       seconds(&Config::llm_breaker_cooldown, 0.1, 3600)},
      {{"SYSTEM_PROMPT_FILE", "", "prompt template file; {context} becomes the passages"},
       text(&Config::system_prompt_file)},
      {{"REFUSAL_TEXT", "", "answer when no passage is relevant (empty: a built-in text)"},
       text(&Config::refusal_text)},
      {{"SERVER_NAME", "RAG Server", "the message of GET /"}, text(&Config::server_name)},
      {{"SITE_URL", "",
        "where the indexed site is published: the chat page links relative citations there"},
       url(&Config::site_url)},
      {{"SEARCH_MIN_SCORE", "0.3", "results under this score are dropped"},
       real(&Config::search_min_score, 0, 1)},
      {{"FUSION_DENSE_WEIGHT", "0.1",
        "hybrid search: the dense list's share of the fused ranking (0 lexical only, 1 dense "
        "only)"},
       real(&Config::fusion_dense_weight, 0, 1)},
      {{"VECTOR_INDEX", "auto",
        "vector index: auto (exact below HNSW_MIN_VECTORS vectors, IVF from it), exact, ivf or "
        "hnsw"},
       {apply_vector_index, "one of auto, exact, ivf, hnsw"}},
      {{"HNSW_MIN_VECTORS", "100000",
        "VECTOR_INDEX=auto: vectors from which search is approximate (IVF), not exact"},
       integer(&Config::hnsw_min_vectors, 1, 1000000000)},
      {{"IVF_PROBES", "0",
        "IVF vector index: lists searched per query (more: better recall, slower); 0: a "
        "sixteenth of them, at least 32"},
       integer(&Config::ivf_probes, 0, 1000000)},
      {{"MAX_UPSTREAM_CALLS", "1000", "chat upstream calls in flight at once (more: 503)"},
       integer(&Config::max_upstream_calls, 1, 1000000)},
      {{"EMBED_BATCH_SIZE", "16", "inputs per embeddings request"},
       integer(&Config::embed_batch_size, 1, 2048)},
      {{"EMBED_CONCURRENCY", "4", "embeddings requests in flight while indexing"},
       integer(&Config::embed_concurrency, 1, 256)},
  };
  return table;
}

Result<void> check_whole(const Config& c) {
  if (c.ssl_certfile.empty() != c.ssl_keyfile.empty())
    return fail(ErrorCode::kInvalidArgument,
                "SSL_CERTFILE and SSL_KEYFILE: expected both set or both empty");
  if (c.llm_max_delay < c.llm_base_delay)
    return fail(ErrorCode::kInvalidArgument,
                "LLM_MAX_DELAY: expected a number of seconds at least LLM_BASE_DELAY");
  return {};
}

// The secrets in a URL's user-info: "user:password" as written, and its password part, which is
// what a client library may print on its own (unless so short that masking it would mask common
// words of every log line).
void add_url_credentials(std::string_view url, std::vector<std::string>& out) {
  const auto credentials = url_credentials(url);
  if (credentials.empty()) return;
  out.emplace_back(credentials);
  const auto colon = credentials.find(':');
  if (colon != std::string_view::npos && credentials.size() - colon - 1 >= 8)
    out.emplace_back(credentials.substr(colon + 1));
}

}  // namespace

Config::Config() {
  for (const auto& row : rows()) {
    if (*row.doc.default_text == '\0' || row.kind.apply(*this, row.doc.default_text)) continue;
    // A broken table, not a user's mistake: every test that builds a Config stops here.
    std::fprintf(stderr, "%s:%d: the default of %s, \"%s\", is not %s\n", __FILE__, __LINE__,
                 row.doc.name, row.doc.default_text, row.kind.allowed.c_str());
    std::abort();
  }
}

std::vector<std::string> Config::secrets() const {
  std::vector<std::string> out;
  for (const auto& row : rows()) {
    switch (row.kind.secrecy) {
      case Secrecy::kNone:
        break;
      case Secrecy::kValue:
        if (auto value = row.kind.text(*this); !value.empty()) out.emplace_back(value);
        break;
      case Secrecy::kUserInfo:
        add_url_credentials(row.kind.text(*this), out);
        break;
    }
  }
  return out;
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> list = [] {
    std::vector<Setting> out;
    for (const auto& row : rows())
      out.push_back({row.doc.name, row.doc.default_text, row.doc.help, row.kind.allowed,
                     row.kind.secrecy == Secrecy::kValue});
    return out;
  }();
  return list;
}

std::string flag_name(std::string_view env_name) {
  std::string out = "--";
  for (char ch : env_name) out += ch == '_' ? '-' : static_cast<char>(std::tolower(ch));
  return out;
}

Result<Config> load(const std::map<std::string, std::string>& flags, const EnvLookup& env,
                    const std::map<std::string, std::string>& dotenv) {
  Config config;
  for (const auto& row : rows()) {
    const std::string name = row.doc.name;
    std::optional<std::string> value;
    if (auto it = flags.find(name); it != flags.end()) value = it->second;
    else if (auto e = env(name)) value = *e;
    else if (auto d = dotenv.find(name); d != dotenv.end()) value = d->second;
    if (!value) continue;
    if (row.kind.apply(config, trim(*value))) continue;
    // Never echo a secret back, even a malformed one; any value may be a URL with a password.
    const bool echo = row.kind.secrecy != Secrecy::kValue;
    return fail(ErrorCode::kInvalidArgument,
                name + (echo ? "=\"" + without_credentials(*value) + "\"" : "") + ": expected " +
                    row.kind.allowed);
  }
  if (auto whole = check_whole(config); !whole) return std::unexpected(whole.error());
  return config;
}

std::map<std::string, std::string> parse_dotenv(std::string_view text) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::string s = trim(line);
    if (s.empty() || s[0] == '#') continue;
    if (s.starts_with("export ")) s = trim(s.substr(7));
    auto eq = s.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(s.substr(0, eq));
    std::string value = trim(s.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));  // inline comment after an unquoted value
    }
    if (!key.empty()) out[key] = value;
  }
  return out;
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

std::map<std::string, std::string> read_dotenv_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream buf;
  buf << in.rdbuf();
  return parse_dotenv(buf.str());
}

}  // namespace rag::config
