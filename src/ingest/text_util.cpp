// UTF-8 and whitespace helpers (see text_util.hpp).
#include "ingest/text_util.hpp"

#include "common/utf8.hpp"

#include <cstdint>

namespace rag::ingest {

std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    if (in[i] == '\0') {
      ++i;
      continue;
    }
    if (const std::size_t n = utf8_sequence_length(in, i); n > 0) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool ws = is_ascii_space(static_cast<char>(c));
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      ws = true;  // NBSP
      ++i;
    }
    if (ws) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string decode_entity(std::string_view e) {
  if (e.size() < 3 || e.front() != '&' || e.back() != ';') return std::string(e);
  std::string_view body = e.substr(1, e.size() - 2);
  if (body[0] == '#') {
    std::uint32_t cp = 0;
    bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    for (char c : body.substr(hex ? 2 : 1)) {
      int d = c >= '0' && c <= '9'   ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : -1;
      if (d < 0 || cp > 0x10FFFF) return std::string(e);
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
    }
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return "\xEF\xBF\xBD";
    std::string out;
    append_utf8(out, static_cast<char32_t>(cp));
    return out;
  }
  struct Named { std::string_view name, text; };
  static constexpr Named kNamed[] = {
      {"amp", "&"},       {"lt", "<"},        {"gt", ">"},        {"quot", "\""},
      {"apos", "'"},      {"nbsp", " "},      {"copy", "\xC2\xA9"}, {"mdash", "\xE2\x80\x94"},
      {"ndash", "\xE2\x80\x93"}, {"hellip", "\xE2\x80\xA6"}, {"rsquo", "\xE2\x80\x99"},
      {"lsquo", "\xE2\x80\x98"}, {"rdquo", "\xE2\x80\x9D"}, {"ldquo", "\xE2\x80\x9C"}};
  for (const auto& n : kNamed) {
    if (n.name == body) return std::string(n.text);
  }
  return std::string(e);
}

}  // namespace rag::ingest
