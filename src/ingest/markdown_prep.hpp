// Text-level preparation of Markdown/MDX before md4c sees it: front matter split-off and the
// MDX-only constructs (ESM import/export statements, JSX-only lines, `{...}` expression lines)
// removed outside fenced code. Pure functions, exposed for tests.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rag::ingest {

struct FrontMatterSplit {
  std::string_view front_matter;  // YAML between the `---` fences; empty when none
  std::string_view body;
};

// A leading `---` line opens front matter; `---` or `...` closes it. kInvalidArgument when
// it is never closed.
Result<FrontMatterSplit> split_front_matter(std::string_view text);

// Removes import/export statements (multi-line ones to their balanced end), lines made only
// of JSX tags (multi-line tags included) and `{...}` expression lines; a line mixing tags and
// text keeps its text. Fenced code blocks are left untouched.
std::string strip_mdx(std::string_view body);

}  // namespace rag::ingest
