// ASCII text helpers shared by the modules that parse protocol and configuration text: trimming,
// case folding, case-insensitive comparison, and the identifier rule for echoed ids.
// ASCII only on purpose: what they read (header values, content types, configuration values,
// file extensions, ids) is ASCII by definition, and the server never sets a locale, so the
// result never depends on one.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rag {

// The characters C's isspace() accepts in the "C" locale: space, \t, \n, \v, \f, \r.
inline constexpr std::string_view kAsciiSpace = " \t\n\v\f\r";
// Space and horizontal tab: the optional whitespace around HTTP field values (RFC 9110, OWS).
inline constexpr std::string_view kSpaceTab = " \t";

constexpr bool is_ascii_space(char c) { return kAsciiSpace.find(c) != std::string_view::npos; }

// `s` without its leading and trailing characters that are in `chars`.
constexpr std::string_view trim(std::string_view s, std::string_view chars = kAsciiSpace) {
  const auto first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

constexpr char to_lower_ascii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

// `s` with A-Z lowered; every other byte (UTF-8 included) as it is.
inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower_ascii(c);
  return out;
}

// True when `a` and `b` differ at most in the case of ASCII letters.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
  return true;
}

// An id the server accepts from a client and echoes in headers and logs (request ids, session
// ids): 1 to 128 characters of [A-Za-z0-9._:-], so it can carry no separator, space or line
// break.
constexpr bool is_id_token(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace rag
