// Text helpers of the chat pipeline: previews cut on code-point boundaries, and a sentence
// splitter for extractive answers. Lengths are Unicode code points (rag::utf8_length in
// common/utf8.hpp), as Python's len() counts them, so `content_preview` and `Message length`
// match docs/api.md.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rag::chat {

// docs/api.md's content_preview: the first `max_chars` code points, plus "..." when `text` is
// longer.
std::string preview(std::string_view text, std::size_t max_chars = 200);

// Sentences of `text`, trimmed, in order: a sentence ends after '.', '!' or '?' (or a CJK full
// stop) followed by whitespace or the end, or at a blank line. Empty pieces are dropped.
std::vector<std::string_view> split_sentences(std::string_view text);

// True when `text` holds only whitespace.
bool is_blank_text(std::string_view text);

}  // namespace rag::chat
