// A string as a JSON literal, written straight into a larger text: the bytes nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) writes for it (the project's one JSON
// spelling), without building a JSON value. /search answers carry ~10 passages of ~1 KB; building
// and escaping them through nlohmann::ordered_json was ~10 % of the server's time under load at
// 300k chunks (bench/scale/RESULTS.md).
//
// Thread-safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/utf8.hpp"

namespace rag {

// Appends `text` as a quoted JSON string: `"` and `\` escaped, control characters as \b \t \n
// \f \r or \u00XX, other bytes as they are. Text that is not well-formed UTF-8 goes through
// nlohmann, so it is written as nlohmann writes it (each fault replaced by U+FFFD).
inline void append_json_text(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t start = out.size();
  out.reserve(start + text.size() + 2);
  out += '"';
  std::size_t run = 0;  // the first byte not yet written
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {  // a multi-byte character, copied as it is, or a fault
      const std::size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out.resize(start);
        out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
      i += length;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(text, run, i - run);
    run = ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(text, run, text.size() - run);
  out += '"';
}

}  // namespace rag
