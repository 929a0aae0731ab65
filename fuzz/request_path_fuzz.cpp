// Fuzz target `request_path`: the path canonicalisation every request goes through before
// routing and rate limiting (http::canonicalize_path, src/http/path.hpp). The input is a
// request path. Oracles: a canonical spelling is canonical again (idempotent) and has the
// documented form (a leading '/', no empty, `.` or `..` segment, no trailing '/', every escape
// `%XX` with upper-case hex and never an unreserved character, no byte the input did not
// have but decoded unreserved ones); and, what the rate limits rely on, the router matches a
// canonical path to a literal route only when the path is that literal, byte for byte.
#include <boost/asio/io_context.hpp>
#include <string>

#include "fuzz_target.hpp"
#include "http/path.hpp"
#include "http/router.hpp"

namespace http = rag::http;
using rag::fuzz::check;

namespace {

bool upper_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

bool unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void check_form(std::string_view p) {
  check(!p.empty() && p.front() == '/', "canonical path does not start with '/'");
  check(p == "/" || p.back() != '/', "canonical path ends with '/'");
  check(p.find("//") == std::string_view::npos, "canonical path has an empty segment");
  std::size_t start = 1;
  while (start < p.size()) {
    auto end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    const auto segment = p.substr(start, end - start);
    check(segment != "." && segment != "..", "canonical path has a dot segment");
    start = end + 1;
  }
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%') continue;
    check(i + 2 < p.size() && upper_hex(p[i + 1]) && upper_hex(p[i + 2]),
          "canonical path has a malformed or lower-case escape");
    const int byte = std::stoi(std::string(p.substr(i + 1, 2)), nullptr, 16);
    check(!unreserved(static_cast<unsigned char>(byte)), "an unreserved escape was kept");
  }
}

const http::Router& router() {
  static const http::Router r = [] {
    http::Router out;
    const http::Handler none;
    for (const char* pattern : {"/", "/search", "/chat", "/v1/chat/completions", "/healthz",
                                "/sessions/{id}", "/sessions/{id}/history", "/ui/{file}"})
      out.add(http::Verb::post, pattern, none);
    return out;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string out;
  const auto form = http::canonicalize_path(input, out);
  if (form == http::PathForm::kInvalid) return 0;
  const std::string canonical = form == http::PathForm::kRewritten ? out : std::string(input);
  if (form == http::PathForm::kRewritten) check(out != input, "rewritten to the same spelling");
  check_form(canonical);
  std::string again;
  check(http::canonicalize_path(canonical, again) == http::PathForm::kCanonical,
        "the canonical spelling is not canonical");
  // Only bytes of the input, or the decoded unreserved characters, appear.
  for (char c : canonical) {
    check(input.find(c) != std::string_view::npos || unreserved(static_cast<unsigned char>(c)) ||
              upper_hex(c),
          "canonical path has a byte the input did not have");
  }
  const std::string route = router().match(canonical);
  if (!route.empty() && route.find('{') == std::string::npos)
    check(route == canonical, "a literal route matched another spelling");
  return 0;
}
