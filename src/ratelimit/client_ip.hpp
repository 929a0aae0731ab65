// Which client a request comes from, for rate limiting and logs: the socket peer, or — only
// when the peer is a trusted proxy (TRUSTED_PROXIES) — the right-most X-Forwarded-For hop that
// is not itself a trusted proxy. A header sent by an untrusted peer changes nothing, so a client
// cannot pick its own rate-limit bucket.
//
// How to use it: resolve_client_ip(peer_address_string, xff_header_value_or_empty,
//                                  cfg.trusted_proxies)
// Several X-Forwarded-For headers must be joined with "," in order before the call.
// Addresses come back in canonical text ("10.0.0.1", "2001:db8::1"; IPv4-mapped IPv6 as IPv4).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace rag::ratelimit {

std::string resolve_client_ip(std::string_view peer, std::string_view forwarded_for,
                              const std::vector<config::Cidr>& trusted_proxies);

// "::ffff:1.2.3.4" → "1.2.3.4", "[2001:DB8::1]" → "2001:db8::1"; unparseable text → empty.
std::string canonical_ip(std::string_view text);

}  // namespace rag::ratelimit
