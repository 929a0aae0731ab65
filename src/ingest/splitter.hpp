// Splits a Document into chunks with the Python design's rules (docs/index.md): a heading starts a
// section; a code block ends one (the code is the section's last unit); paragraphs shorter
// than min_paragraph_chars are dropped; chunk_paragraphs units per chunk with chunk_overlap
// units shared between neighbours, never across sections; a paragraph longer than
// chunk_max_chars is first cut at sentence ends. Lengths count Unicode code points.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "ingest/document.hpp"

namespace rag::ingest {

struct SplitOptions {
  int chunk_paragraphs = 3;
  int chunk_overlap = 1;
  int min_paragraph_chars = 100;
  int chunk_max_chars = 2000;
};

// kInvalidArgument unless chunk_paragraphs >= 1, 0 <= overlap < chunk_paragraphs,
// min_paragraph_chars >= 0 and chunk_max_chars >= 1 (the message names the flag).
Result<void> validate(const SplitOptions& options);

struct SplitChunk {
  std::string text;           // units joined by a blank line
  std::string section;        // heading text, or "Section N" (N counts the document's sections)
  std::string section_level;  // "h1".."h6", or "none"
  // Bytes at the start of `text` that repeat the end of the previous chunk: its last
  // chunk_overlap units and the blank line after them. 0 for a section's first chunk.
  std::size_t overlap = 0;
};

std::vector<SplitChunk> split(const Document& doc, const SplitOptions& options);

// Cuts `text` into pieces of at most `max_chars` code points at sentence ends (., !, ? then
// whitespace); a single longer sentence is cut at the last space before the limit, or at the
// limit when it has none.
std::vector<std::string> cut_at_sentences(std::string_view text, std::size_t max_chars);

}  // namespace rag::ingest
