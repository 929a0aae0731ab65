// How deeply a JSON text nests arrays and objects, found by a scan that never recurses, so a
// parser or a copy that would recurse per level (nlohmann's copy, dump and comparison do) is
// only given texts it can handle. Strings (and their escapes) are skipped; the text need not
// be valid JSON.
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string_view>

namespace rag {

// The byte offset where nesting first exceeds `max_depth`, or npos when it never does.
inline std::size_t json_depth_violation(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace rag
