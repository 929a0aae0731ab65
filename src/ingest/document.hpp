// What a loader yields: a document's metadata and its ordered text blocks (headings,
// paragraphs, code), independent of the source format. The splitter turns it into chunks.
#pragma once

#include <string>
#include <vector>

namespace rag::ingest {

struct Block {
  enum class Kind { kHeading, kParagraph, kCode };
  Kind kind = Kind::kParagraph;
  int level = 0;     // 1..6 for headings, 0 otherwise
  std::string text;  // valid UTF-8; whitespace collapsed except in code
};

struct Document {
  std::string title;        // <meta name=title>, <title>, front matter title, PDF Title
  std::string description;
  std::string published;    // empty when unknown
  std::string url;          // explicit citation URL (meta / front matter), empty otherwise
  std::vector<Block> blocks;
};

}  // namespace rag::ingest
