// Test-only helpers for the tests that run against the in-process fake upstream
// (tests/fakes/): configurations pointing at it, with keys the secrets scan looks for, and
// adapter options that retry fast. Threads and log captures: common/testing/support.hpp.
#pragma once


#include <string>

#include "common/testing/support.hpp"
#include "config/config.hpp"
#include "fake_upstream.hpp"
#include "upstream/factory.hpp"

namespace rag::upstream::testing {


inline const char* kAzureKey = "azure-KEY-0123456789abcdef";
inline const char* kOpenAiKey = "sk-openai-KEY-fedcba9876543210";

inline config::Config azure_config(const std::string& base) {
  config::Config c;
  c.azure_chat_endpoint =
      base + "/openai/deployments/gpt-test/chat/completions?api-version=2024-02-01";
  c.azure_chat_api_key = config::Secret(kAzureKey);
  c.azure_embeddings_endpoint =
      base + "/openai/deployments/embed-test/embeddings?api-version=2024-02-01";
  c.azure_embeddings_api_key = config::Secret(kAzureKey);
  return c;
}

inline config::Config openai_config(const std::string& base) {
  config::Config c;
  c.openai_base_url = base + "/v1";
  c.openai_api_key = config::Secret(kOpenAiKey);
  c.chat_model = "gpt-fake";
  c.embeddings_model = "embed-fake";
  return c;
}

// Fast retries: 3 attempts, 50 ms base, no jitter, 2 s per attempt.
inline AdapterOptions fast_options() {
  AdapterOptions o;
  o.retry.max_attempts = 3;
  o.retry.base_delay = Seconds(0.05);
  o.retry.max_delay = Seconds(1.0);
  o.retry.jitter = 0;
  o.call.attempt_timeout = std::chrono::milliseconds(2000);
  o.call.deadline = std::chrono::milliseconds(20000);
  o.breaker.failure_threshold = 1000;
  return o;
}

}  // namespace rag::upstream::testing
