#include "http/middleware.hpp"

#include <random>

namespace rag::http {

bool is_sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string generate_request_id() {
  // Request ids need uniqueness, not secrecy: a per-thread generator seeded from the OS.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 15];
  }
  return id;
}

Filter request_id() {
  return [](RequestContext& ctx) -> std::optional<Response> {
    auto incoming = ctx.header("X-Request-Id");
    ctx.request_id = is_sane_request_id(incoming) ? std::string(incoming) : generate_request_id();
    ctx.response_headers.emplace_back("X-Request-Id", ctx.request_id);
    return std::nullopt;
  };
}

Filter security_headers() {
  return [](RequestContext& ctx) -> std::optional<Response> {
    ctx.response_headers.emplace_back("X-Content-Type-Options", "nosniff");
    ctx.response_headers.emplace_back("X-Frame-Options", "DENY");
    ctx.response_headers.emplace_back("Referrer-Policy", "no-referrer");
    ctx.response_headers.emplace_back("Cache-Control", "no-store");
    return std::nullopt;
  };
}

}  // namespace rag::http
