// Checked citations (docs/api.md, "Citations"): the prompt numbers the passages it gives the
// model, and the model cites them as `[n]` (or `[n, m]`). After generation, a marker whose
// numbers match no passage given to the model is removed (a list keeps its valid numbers), and
// each source learns whether the answer cited it.
//
// What counts as a marker: `[` digits (one to four) separated by commas and spaces `]`, outside
// Markdown code (a `...` span or a ``` fence), so `items[0]` in a code block stays as written.
// A removed marker takes the one space before it along, so "see [9]." becomes "see.".
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rag::chat {

struct CheckedAnswer {
  std::string text;          // the answer without the markers that match no source
  std::vector<bool> cited;   // per source, in order: some marker in `text` cites it
  std::size_t removed = 0;   // citations (numbers) taken out
};

// REQUIRES: nothing; `sources` is how many passages the model was given, numbered 1..sources.
CheckedAnswer check_citations(std::string_view answer, std::size_t sources);

}  // namespace rag::chat
