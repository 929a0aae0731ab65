// Unit tests for upstream URL parsing.
#include "upstream/url.hpp"

#include <gtest/gtest.h>

namespace rag::upstream {
namespace {

TEST(Url, ParsesAzureEndpoint) {
  auto u = parse_url(
      "https://r.openai.azure.com/openai/deployments/gpt/chat/completions?api-version=2024-02-01");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "r.openai.azure.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/openai/deployments/gpt/chat/completions?api-version=2024-02-01");
  EXPECT_EQ(u->host_header(), "r.openai.azure.com");
}

TEST(Url, PlainHttpWithPortAndIpv6) {
  auto u = parse_url("http://127.0.0.1:8080");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->host_header(), "127.0.0.1:8080");
  auto v6 = parse_url("http://[::1]:9000/v1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->origin(), "http://[::1]:9000");
}

TEST(Url, JoinsBaseAndPath) {
  auto u = join_url("http://localhost:11434/v1/", "/chat/completions");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->target, "/v1/chat/completions");
}

TEST(Url, RefusesCredentialsAndOtherSchemes) {
  EXPECT_FALSE(parse_url("https://user:pass@host/"));
  EXPECT_FALSE(parse_url("ftp://host/"));
  EXPECT_FALSE(parse_url("http://:80/"));
  EXPECT_FALSE(parse_url("http://host:8a/"));
}

}  // namespace
}  // namespace rag::upstream
