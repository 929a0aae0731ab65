// UTF-8 and whitespace helpers shared by the loaders and the splitter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rag::ingest {

// Replaces invalid UTF-8 sequences with U+FFFD and drops NUL bytes.
std::string sanitize_utf8(std::string_view in);
// Number of code points in valid UTF-8.
std::size_t utf8_length(std::string_view s);
// Byte offset of code point `n` (or s.size() when shorter).
std::size_t utf8_offset(std::string_view s, std::size_t n);
// Runs of whitespace (incl. newlines and NBSP) become one space; trimmed.
std::string collapse_whitespace(std::string_view s);
// Trims ASCII whitespace on both ends.
std::string_view trim(std::string_view s);
// Decodes the HTML entities md4c passes through (&amp; &#38; &#x26; ...); unknown ones as is.
std::string decode_entity(std::string_view entity);

}  // namespace rag::ingest
