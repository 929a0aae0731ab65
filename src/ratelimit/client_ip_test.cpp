// Tests of client IP resolution behind trusted proxies.
#include "ratelimit/client_ip.hpp"

#include <gtest/gtest.h>

#include "config/loader.hpp"

namespace rag::ratelimit {
namespace {

std::vector<config::Cidr> nets(std::initializer_list<const char*> cidrs) {
  std::vector<config::Cidr> out;
  for (auto* c : cidrs) out.push_back(*config::parse_cidr(c));
  return out;
}

TEST(ClientIp, UntrustedPeerIgnoresASpoofedHeader) {
  auto trusted = nets({"10.0.0.0/8"});
  EXPECT_EQ(resolve_client_ip("203.0.113.7", "1.2.3.4", trusted), "203.0.113.7");
  EXPECT_EQ(resolve_client_ip("203.0.113.7", "1.2.3.4, 10.0.0.1", trusted), "203.0.113.7");
  EXPECT_EQ(resolve_client_ip("203.0.113.7", "", {}), "203.0.113.7");
  EXPECT_EQ(resolve_client_ip("203.0.113.7", "1.2.3.4", {}), "203.0.113.7");
}

TEST(ClientIp, TrustedProxyChainGivesTheRightMostUntrustedHop) {
  auto trusted = nets({"10.0.0.0/8", "127.0.0.1"});
  // client spoofs "6.6.6.6"; the real client 198.51.100.9 went through two trusted proxies.
  EXPECT_EQ(resolve_client_ip("127.0.0.1", "6.6.6.6, 198.51.100.9, 10.1.2.3", trusted),
            "198.51.100.9");
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "198.51.100.9", trusted), "198.51.100.9");
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "", trusted), "10.0.0.5");
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "10.9.9.9, 10.0.0.7", trusted), "10.9.9.9");
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "198.51.100.9:4711", trusted), "198.51.100.9");
  EXPECT_EQ(resolve_client_ip("10.0.0.5", "garbage, 10.0.0.7", trusted), "10.0.0.7");
}

TEST(ClientIp, Ipv6AndMappedAddresses) {
  auto trusted = nets({"fd00::/8", "::1/128"});
  EXPECT_EQ(resolve_client_ip("::1", "2001:DB8::5, fd00::1", trusted), "2001:db8::5");
  EXPECT_EQ(resolve_client_ip("::1", "[2001:db8::6]:443", trusted), "2001:db8::6");
  EXPECT_EQ(resolve_client_ip("2001:db8::9", "1.2.3.4", trusted), "2001:db8::9");
  EXPECT_EQ(resolve_client_ip("::ffff:192.0.2.1", "", {}), "192.0.2.1");
  auto v4 = nets({"192.0.2.0/24"});
  EXPECT_EQ(resolve_client_ip("::ffff:192.0.2.1", "203.0.113.1", v4), "203.0.113.1");
  EXPECT_EQ(canonical_ip("[::1]"), "::1");
  EXPECT_EQ(canonical_ip("nope"), "");
}

}  // namespace
}  // namespace rag::ratelimit
