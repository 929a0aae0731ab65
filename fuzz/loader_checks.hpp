// Checks shared by the loader targets: what every Document a loader returns must satisfy
// (ingest/document.hpp), and the same document through the splitter with the default options,
// as `rag-server index` does.
#pragma once

#include "fuzz_target.hpp"
#include "ingest/document.hpp"
#include "ingest/splitter.hpp"
#include "ingest/text_util.hpp"

namespace rag::fuzz {

inline void check_document(const ingest::Document& doc) {
  check(valid_utf8(doc.title), "document title is not valid UTF-8");
  check(valid_utf8(doc.description), "document description is not valid UTF-8");
  check(valid_utf8(doc.published), "document published is not valid UTF-8");
  check(valid_utf8(doc.url), "document url is not valid UTF-8");
  for (const auto& block : doc.blocks) {
    check(valid_utf8(block.text), "block text is not valid UTF-8");
    if (block.kind == ingest::Block::Kind::kHeading)
      check(block.level >= 1 && block.level <= 6, "heading level outside 1..6");
    else
      check(block.level == 0, "non-heading block with a level");
  }
  for (const auto& chunk : ingest::split(doc, ingest::SplitOptions{})) {
    check(!ingest::trim(chunk.text).empty(), "blank chunk");
    check(valid_utf8(chunk.text), "chunk text is not valid UTF-8");
    check(valid_utf8(chunk.section), "chunk section is not valid UTF-8");
  }
}

}  // namespace rag::fuzz
