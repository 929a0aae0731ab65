// Fuzz target `markdown_loader`: Markdown and MDX (YAML front matter, ESM lines, JSX tags)
// through ingest::load_markdown (md4c + yaml-cpp), then the splitter. The first byte's low
// bit picks MDX; the rest is the file. Oracles in loader_checks.hpp; the MDX pre-pass
// (strip_mdx) must also never grow its input.
#include "ingest/loaders.hpp"
#include "ingest/markdown_prep.hpp"
#include "loader_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rag::fuzz::Input in(data, size);
  const bool mdx = (in.byte() & 1) != 0;
  const std::string_view text = in.rest();
  auto doc = rag::ingest::load_markdown(text, mdx);
  if (doc) rag::fuzz::check_document(*doc);

  if (auto split = rag::ingest::split_front_matter(text)) {
    rag::fuzz::check(split->front_matter.size() + split->body.size() <= text.size(),
                     "front matter split longer than its input");
    if (mdx)
      // Each kept line ends with '\n', so a body whose last line has none grows by one byte.
      rag::fuzz::check(rag::ingest::strip_mdx(split->body).size() <= split->body.size() + 1,
                       "strip_mdx grew its input");
  }
  return 0;
}
