// See client_ip.hpp. Walks X-Forwarded-For from the right: each hop was appended by the proxy
// to its right, so hops are only believable while that proxy is trusted.
#include "ratelimit/client_ip.hpp"

#include <arpa/inet.h>

#include <array>
#include <optional>

#include "common/text.hpp"
#include "config/loader.hpp"

namespace rag::ratelimit {
namespace {

using Ip = std::array<std::uint8_t, 16>;

// Accepts "1.2.3.4", "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:80".
std::optional<Ip> parse_hop(std::string_view s) {
  s = trim(s, kSpaceTab);
  if (s.starts_with('[')) {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return config::parse_ip(s.substr(1, close - 1));
  }
  if (auto colon = s.find(':'); colon != std::string_view::npos && s.find(':', colon + 1) ==
                                                                      std::string_view::npos) {
    s = s.substr(0, colon);  // IPv4 with a port
  }
  return config::parse_ip(s);
}

std::string format_ip(const Ip& ip) {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char buf[INET6_ADDRSTRLEN] = {};
  if (std::equal(std::begin(kMapped), std::end(kMapped), ip.begin())) {
    inet_ntop(AF_INET, ip.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
  }
  return buf;
}

bool trusted(const Ip& ip, const std::vector<config::Cidr>& proxies) {
  for (const auto& net : proxies) {
    if (net.contains(ip)) return true;
  }
  return false;
}

}  // namespace

std::string canonical_ip(std::string_view text) {
  auto ip = parse_hop(text);
  return ip ? format_ip(*ip) : std::string();
}

std::string resolve_client_ip(std::string_view peer, std::string_view forwarded_for,
                              const std::vector<config::Cidr>& trusted_proxies) {
  auto peer_ip = parse_hop(peer);
  if (!peer_ip) return std::string(trim(peer, kSpaceTab));
  if (!trusted(*peer_ip, trusted_proxies) || trim(forwarded_for, kSpaceTab).empty()) {
    return format_ip(*peer_ip);
  }
  // Right to left: the first hop that is not a trusted proxy is the client.
  Ip last_trusted = *peer_ip;
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (trim(hop, kSpaceTab).empty()) continue;
    auto ip = parse_hop(hop);
    if (!ip) break;  // garbage written by whoever is left of a trusted proxy: stop believing
    if (!trusted(*ip, trusted_proxies)) return format_ip(*ip);
    last_trusted = *ip;
  }
  // Every believable hop is a trusted proxy: the left-most of them is the best we know.
  return format_ip(last_trusted);
}

}  // namespace rag::ratelimit
