#include "http/middleware.hpp"

#include <random>

#include "common/text.hpp"
#include "http/path.hpp"

namespace rag::http {

bool is_sane_request_id(std::string_view id) { return is_id_token(id); }

void generate_request_id(std::string& out) {
  // Request ids need uniqueness, not secrecy: a per-thread generator seeded from the OS.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  out.assign(32, '0');  // in place: a reused context keeps its capacity
  for (int half = 0; half < 2; ++half) {
    auto bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) out[half * 16 + i] = kHex[bits & 15];
  }
}

std::string generate_request_id() {
  std::string id;
  generate_request_id(id);
  return id;
}

Filter request_id() {
  return [](RequestContext& ctx) -> std::optional<Response> {
    auto incoming = ctx.header("X-Request-Id");
    if (is_sane_request_id(incoming))
      ctx.request_id.assign(incoming);
    else
      generate_request_id(ctx.request_id);
    // A view into ctx.request_id, which nothing changes once set.
    ctx.header_views.emplace_back("X-Request-Id", ctx.request_id);
    return std::nullopt;
  };
}

Filter canonical_path() {
  return [](RequestContext& ctx) -> std::optional<Response> {
    thread_local std::string rewritten;  // capacity kept across requests
    switch (canonicalize_path(ctx.path(), rewritten)) {
      case PathForm::kCanonical:
        return std::nullopt;
      case PathForm::kRewritten:
        ctx.set_path(rewritten);
        return std::nullopt;
      case PathForm::kInvalid:
        break;
    }
    ctx.route = "unmatched";
    return error_response(Status::bad_request, "Invalid request path", ctx.request.version());
  };
}

Filter security_headers() {
  return [](RequestContext& ctx) -> std::optional<Response> {
    for (const auto& [name, value] : kSecurityHeaders) ctx.header_views.emplace_back(name, value);
    return std::nullopt;
  };
}

}  // namespace rag::http
