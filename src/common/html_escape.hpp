// `text` with & < > " ' written as character references, safe in HTML (and XML) text and in
// quoted attribute values. Used by the source pages (web/) and the prompt's passage elements
// (chat/prompt.hpp).
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace rag {

inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace rag
