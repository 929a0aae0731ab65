#include <gtest/gtest.h>

#include <algorithm>

#include "config/loader.hpp"

namespace rag::config {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<Config> load_env(std::map<std::string, std::string> vars) {
  return load({}, env_of(std::move(vars)), {});
}

TEST(ConfigLoad, DefaultsMatchTheSpec) {
  auto c = load_env({});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->port, 8000);
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->workers, 4);
  EXPECT_EQ(c->log_level, LogLevel::kInfo);
  EXPECT_EQ(c->allowed_origins, std::vector<std::string>{"http://localhost:3000"});
  EXPECT_EQ(c->vector_db_path, "vector_db");
  EXPECT_EQ(c->max_conversation_history, 20);
  EXPECT_DOUBLE_EQ(c->session_timeout.count(), 24 * 3600);
  EXPECT_DOUBLE_EQ(c->cleanup_interval.count(), 3600);
  EXPECT_EQ(c->max_sessions, 100000u);
  EXPECT_EQ(c->rate_limit_health.describe(), "Rate limit exceeded: 60 per 1 minute");
  EXPECT_EQ(c->rate_limit_search.describe(), "Rate limit exceeded: 30 per 1 minute");
  EXPECT_EQ(c->rate_limit_chat.describe(), "Rate limit exceeded: 20 per 1 minute");
  EXPECT_EQ(c->max_body_bytes, 1u << 20);
  EXPECT_EQ(c->max_message_chars, 8000u);
  EXPECT_EQ(c->max_history_messages, 200u);
  EXPECT_EQ(c->max_history_chars, 16000u);
  EXPECT_EQ(c->max_query_chars, 8000u);
  EXPECT_EQ(c->max_session_bytes, 65536u);
  EXPECT_DOUBLE_EQ(c->graceful_timeout.count(), 30);
  EXPECT_DOUBLE_EQ(c->keepalive.count(), 5);
  EXPECT_DOUBLE_EQ(c->request_timeout.count(), 120);
  EXPECT_DOUBLE_EQ(c->chat_temperature, 0.1);
  EXPECT_EQ(c->chat_max_tokens, 1000);
  EXPECT_EQ(c->llm_max_retries, 3);
  EXPECT_DOUBLE_EQ(c->llm_base_delay.count(), 2.0);
  EXPECT_DOUBLE_EQ(c->llm_max_delay.count(), 30);
  EXPECT_DOUBLE_EQ(c->llm_timeout.count(), 60);
  EXPECT_EQ(c->llm_breaker_failures, 5);
  EXPECT_DOUBLE_EQ(c->llm_breaker_cooldown.count(), 30);
  EXPECT_EQ(c->server_name, "RAG Server");
  EXPECT_EQ(c->site_url, "");
  EXPECT_DOUBLE_EQ(c->search_min_score, 0.3);
  EXPECT_EQ(c->embed_batch_size, 16);
  EXPECT_EQ(c->embed_concurrency, 4);
  EXPECT_FALSE(c->has_chat_upstream());
  EXPECT_FALSE(c->has_embeddings_upstream());
}

TEST(ConfigLoad, FlagsBeatEnvironmentWhichBeatsDotenv) {
  auto c = load({{"PORT", "9001"}}, env_of({{"PORT", "9002"}, {"WORKERS", "7"}}),
                {{"PORT", "9003"}, {"WORKERS", "8"}, {"SERVER_NAME", "From dotenv"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 9001);
  EXPECT_EQ(c->workers, 7);
  EXPECT_EQ(c->server_name, "From dotenv");
}

TEST(ConfigLoad, MalformedValuesNameTheVariableAndTheExpectedForm) {
  struct Case {
    const char* name;
    const char* value;
    const char* expected;
  };
  for (auto [name, value, expected] : {
           Case{"PORT", "abc", "PORT=\"abc\": expected an integer from 0 to 65535"},
           Case{"PORT", "70000", "PORT=\"70000\": expected an integer from 0 to 65535"},
           Case{"WORKERS", "0", "WORKERS=\"0\": expected an integer from 1 to 256"},
           Case{"RATE_LIMIT_CHAT", "ten",
                "RATE_LIMIT_CHAT=\"ten\": expected N/second, N/minute, N/hour or off"},
           Case{"LOG_LEVEL", "loud",
                "LOG_LEVEL=\"loud\": expected one of debug, info, warning, error"},
           Case{"VECTOR_INDEX", "faiss",
                "VECTOR_INDEX=\"faiss\": expected one of auto, exact, ivf, hnsw"},
           Case{"CHAT_TEMPERATURE", "hot",
                "CHAT_TEMPERATURE=\"hot\": expected a number from 0 to 2"},
           Case{"REDIS_URL", "localhost:6379",
                "REDIS_URL=\"localhost:6379\": expected redis://host:port/db"},
           Case{"LLM_BREAKER_FAILURES", "0",
                "LLM_BREAKER_FAILURES=\"0\": expected an integer from 1 to 1000"},
           Case{"MAX_SESSION_BYTES", "100",
                "MAX_SESSION_BYTES=\"100\": expected an integer from 1024 to 1073741824"},
           Case{"MAX_QUERY_CHARS", "0",
                "MAX_QUERY_CHARS=\"0\": expected an integer from 1 to 10000000"},
           Case{"SITE_URL", "javascript:alert(1)",
                "SITE_URL=\"javascript:alert(1)\": expected an http:// or https:// URL"},
       }) {
    auto c = load_env({{name, value}});
    ASSERT_FALSE(c) << name;
    EXPECT_EQ(c.error().message, expected);
  }
}

TEST(ConfigLoad, TheVectorIndexIsAutoUnlessNamedInAnyCase) {
  auto defaults = load_env({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->vector_index, VectorIndexChoice::kAuto);
  EXPECT_EQ(defaults->ivf_probes, 0u);
  auto named = load_env({{"VECTOR_INDEX", " IVF "}, {"IVF_PROBES", "500"}});
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(named->vector_index, VectorIndexChoice::kIvf);
  EXPECT_EQ(named->ivf_probes, 500u);
}

TEST(ConfigLoad, NeverEchoesASecret) {
  // A key cannot be malformed today; the rule holds for any Secret field's failure path.
  auto c = load_env({{"AZURE_OPENAI_CHAT_API_KEY", "sk-secret"}, {"PORT", "x"}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message.find("sk-secret"), std::string::npos);
}

TEST(ConfigLoad, NeverEchoesAPasswordInAUrl) {
  for (const char* url : {"rediss://:hunter2-password@cache:6380/0",
                          "memcached://admin:hunter2-password@cache:6380/0"}) {
    auto c = load_env({{"REDIS_URL", url}});
    ASSERT_FALSE(c) << url;
    EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find("REDIS_URL=\""), std::string::npos);
    EXPECT_NE(c.error().message.find("://***@cache:6380/0\""), std::string::npos);
  }
}

TEST(ConfigSecrets, IncludeUrlCredentialsForRedaction) {
  auto c = load_env({{"REDIS_URL", "redis://:hunter2-password@cache:6379/0"},
                     {"OPENAI_BASE_URL", "https://user:pass-word-1@llm.example/v1"},
                     {"OPENAI_API_KEY", "sk-1"}});
  ASSERT_TRUE(c) << c.error().message;
  const auto secrets = c->secrets();
  for (const char* expected :
       {"sk-1", ":hunter2-password", "hunter2-password", "user:pass-word-1", "pass-word-1"})
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), expected), secrets.end()) << expected;
  auto short_password = load_env({{"REDIS_URL", "redis://:pw@cache:6379/0"}});
  ASSERT_TRUE(short_password);
  EXPECT_EQ(short_password->secrets(), std::vector<std::string>{":pw"});
}

TEST(ConfigSecrets, AreTheSecretFieldsWhateverTheirNames) {
  std::vector<std::string> secret_names;
  for (const auto& setting : settings())
    if (setting.secret) secret_names.emplace_back(setting.name);
  EXPECT_EQ(secret_names,
            (std::vector<std::string>{"AZURE_OPENAI_CHAT_API_KEY",
                                      "AZURE_OPENAI_EMBEDDINGS_API_KEY", "OPENAI_API_KEY"}));
  for (const auto& name : secret_names) {
    auto c = load_env({{name, "canary-secret-value"}});
    ASSERT_TRUE(c) << name;
    EXPECT_EQ(c->secrets(), std::vector<std::string>{"canary-secret-value"}) << name;
  }
}

TEST(ConfigSecrets, ListThePasswordOfEveryUrlSetting) {
  for (const std::string name : {"AZURE_OPENAI_CHAT_ENDPOINT", "AZURE_OPENAI_EMBEDDINGS_ENDPOINT",
                                 "OPENAI_BASE_URL", "REDIS_URL", "SITE_URL"}) {
    const std::string scheme = name == "REDIS_URL" ? "redis://" : "https://";
    auto c = load_env({{name, scheme + "user:canary-password@host:1/x"}});
    ASSERT_TRUE(c) << name << ": " << c.error().message;
    EXPECT_EQ(c->secrets(), (std::vector<std::string>{"user:canary-password", "canary-password"}))
        << name;
  }
}

TEST(ConfigDefaults, AreTheTablesDefaultTextsParsed) {
  // Config's constructor applies each row's default text; a directly built Config and one
  // loaded from an empty environment are the same value.
  const Config built;
  auto loaded = load_env({});
  ASSERT_TRUE(loaded);
  EXPECT_EQ(built.port, loaded->port);
  EXPECT_EQ(built.allowed_origins, loaded->allowed_origins);
  EXPECT_EQ(built.rate_limit_chat.describe(), loaded->rate_limit_chat.describe());
  EXPECT_DOUBLE_EQ(built.session_timeout.count(), 24 * 3600);
  EXPECT_TRUE(built.feedback);
  for (const auto& setting : settings()) {
    if (!*setting.default_text) continue;
    auto explicit_default = load_env({{setting.name, setting.default_text}});
    EXPECT_TRUE(explicit_default) << setting.name << ": " << explicit_default.error().message;
  }
}

TEST(ConfigLoad, PortZeroMeansAnyFreePort) {
  auto c = load_env({{"PORT", "0"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->port, 0);
}

TEST(ConfigLoad, CertAndKeyComeTogether) {
  auto c = load_env({{"SSL_CERTFILE", "cert.pem"}});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("SSL_KEYFILE"), std::string::npos);
}

TEST(ConfigLoad, UpstreamPresenceIsDerived) {
  auto c = load_env({{"OPENAI_BASE_URL", "http://127.0.0.1:1/v1"}, {"CHAT_MODEL", "m"}});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->has_chat_upstream());
  EXPECT_FALSE(c->has_embeddings_upstream());
}

TEST(RateLimitSpec, ParsesTheForms) {
  auto a = parse_rate_limit("5/second");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->count, 5);
  EXPECT_EQ(a->period_seconds, 1);
  auto b = parse_rate_limit("100 per hour");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->period_seconds, 3600);
  EXPECT_EQ(b->describe(), "Rate limit exceeded: 100 per 1 hour");
  auto off = parse_rate_limit("off");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->enabled);
  EXPECT_FALSE(parse_rate_limit("0/minute"));
  EXPECT_FALSE(parse_rate_limit("5/fortnight"));
}

TEST(Cidr, MatchesV4AndV6) {
  auto net = parse_cidr("10.1.0.0/16");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(*parse_ip("10.1.2.3")));
  EXPECT_FALSE(net->contains(*parse_ip("10.2.0.1")));
  auto one = parse_cidr("127.0.0.1");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains(*parse_ip("127.0.0.1")));
  EXPECT_FALSE(one->contains(*parse_ip("127.0.0.2")));
  auto v6 = parse_cidr("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*parse_ip("fd12::1")));
  EXPECT_FALSE(v6->contains(*parse_ip("10.1.2.3")));
  EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
  EXPECT_FALSE(parse_cidr("not-an-ip"));
}

TEST(Dotenv, ParsesCommentsQuotesAndExport) {
  auto vars = parse_dotenv(
      "# comment\n"
      "PORT=8080\n"
      "export HOST = 127.0.0.1\n"
      "SERVER_NAME=\"My # Server\"\n"
      "LOG_LEVEL=debug # inline\n"
      "EMPTY=\n"
      "garbage line\n");
  EXPECT_EQ(vars["PORT"], "8080");
  EXPECT_EQ(vars["HOST"], "127.0.0.1");
  EXPECT_EQ(vars["SERVER_NAME"], "My # Server");
  EXPECT_EQ(vars["LOG_LEVEL"], "debug");
  EXPECT_EQ(vars["EMPTY"], "");
  EXPECT_EQ(vars.count("garbage line"), 0u);
}

TEST(Settings, FlagNamesFollowTheEnvironmentNames) {
  EXPECT_EQ(flag_name("PORT"), "--port");
  EXPECT_EQ(flag_name("LOG_LEVEL"), "--log-level");
  EXPECT_GE(settings().size(), 43u);
}

}  // namespace
}  // namespace rag::config
