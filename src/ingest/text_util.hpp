// UTF-8 and whitespace helpers shared by the loaders and the splitter (code-point lengths and
// prefixes: common/utf8.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/text.hpp"
#include "common/utf8.hpp"

namespace rag::ingest {

// Replaces invalid UTF-8 sequences with U+FFFD and drops NUL bytes.
std::string sanitize_utf8(std::string_view in);
// Runs of whitespace (incl. newlines and NBSP) become one space; trimmed.
std::string collapse_whitespace(std::string_view s);
// Trims space, tab, CR and LF on both ends (form feeds and vertical tabs are kept as text).
constexpr std::string_view trim(std::string_view s) { return rag::trim(s, " \t\n\r"); }
// Decodes the HTML entities md4c passes through (&amp; &#38; &#x26; ...); unknown ones as is.
std::string decode_entity(std::string_view entity);

}  // namespace rag::ingest
