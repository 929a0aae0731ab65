// The splitter's overlap between neighbouring chunks of a section (docs/index.md, "What gets
// indexed"): a chunk's first paragraphs repeat the previous chunk's last ones. The splitter
// records it as it splits (store::ChunkMetadata::overlap); the index reader finds it with this
// function, once, for chunks written without it (imports, indexes older than the record).
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string_view>

namespace rag {

// How many leading characters of `next` (whole paragraphs, with the blank line after them)
// repeat the end of `prev`. 0 when none.
inline std::size_t overlap_length(std::string_view prev, std::string_view next) {
  std::size_t best = 0;
  for (std::size_t at = next.find("\n\n"); at != std::string_view::npos;
       at = next.find("\n\n", at + 2)) {
    const auto head = next.substr(0, at);
    if (prev.ends_with(head) &&
        (head.size() == prev.size() || prev[prev.size() - head.size() - 1] == '\n'))
      best = at + 2;
  }
  return best;
}

}  // namespace rag
