// `rag-server check` (src/cli/check_cmd.cpp) against the in-process fake upstream: one line
// per upstream, the documented exit codes, and no key in the output.
#include <gtest/gtest.h>

#include <sstream>

#include "config/config.hpp"
#include "fake_upstream.hpp"

namespace rag::cli {
int run_check(const config::Config& config, std::ostream& out);
}

namespace rag {
namespace {

const char* kKey = "check-KEY-abcdef0123456789";

config::Config azure(const std::string& base) {
  config::Config c;
  c.azure_chat_endpoint = base + "/openai/deployments/gpt-check/chat/completions?api-version=1";
  c.azure_chat_api_key = config::Secret(kKey);
  c.azure_embeddings_endpoint = base + "/openai/deployments/emb-check/embeddings?api-version=1";
  c.azure_embeddings_api_key = config::Secret(kKey);
  c.llm_max_retries = 1;
  c.llm_base_delay = config::Seconds(0.01);
  c.llm_timeout = config::Seconds(5);
  return c;
}

TEST(CheckCommand, ReportsBothUpstreamsOk) {
  fakes::FakeUpstream fake({});
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(azure(fake.base_url()), out), 0);
  EXPECT_NE(out.str().find("config: OK"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("chat: OK (azure:gpt-check"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("embeddings: OK (emb-check, dimension 64"), std::string::npos);
  EXPECT_NE(out.str().find("index: not checked yet"), std::string::npos);
  EXPECT_EQ(fake.requests().size(), 2u);
}

TEST(CheckCommand, ChatFailureExitsFourWithoutPrintingTheKey) {
  fakes::FakeUpstream fake({});
  fake.script(R"([{"match":"chat","status":401}])");
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(azure(fake.base_url()), out), 4);
  EXPECT_NE(out.str().find("chat: FAILED"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("401"), std::string::npos);
  EXPECT_NE(out.str().find("embeddings: OK"), std::string::npos);
  EXPECT_EQ(out.str().find(kKey), std::string::npos);
}

TEST(CheckCommand, EmbeddingsFailureExitsFiveAndBothSix) {
  fakes::FakeUpstream fake({});
  fake.script(R"([{"match":"embeddings","status":400}])");
  std::ostringstream one;
  EXPECT_EQ(cli::run_check(azure(fake.base_url()), one), 5);
  EXPECT_NE(one.str().find("embeddings: FAILED"), std::string::npos);
  std::ostringstream both;
  EXPECT_EQ(cli::run_check(azure("http://127.0.0.1:1"), both), 6);
  EXPECT_NE(both.str().find("unreachable"), std::string::npos) << both.str();
}

TEST(CheckCommand, NotConfiguredIsReportedAndNotAFailure) {
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(config::Config{}, out), 0);
  EXPECT_NE(out.str().find("chat: not configured"), std::string::npos);
  EXPECT_NE(out.str().find("embeddings: not configured"), std::string::npos);
}

}  // namespace
}  // namespace rag
