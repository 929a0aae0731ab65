// A BEIR corpus written out as Markdown pages, so that `rag-server eval` indexes it with the
// same loader, splitter and indexer as any site (docs/eval.md): one file per document, the
// title and the document id in its front matter (`title`, `url`), the text as the body. The
// id thus becomes each chunk's citation url, which is how results map back to documents.
//
// Thread-safety: a pure function of the files it reads and writes.
#pragma once

#include <cstddef>
#include <filesystem>

#include "common/result.hpp"

namespace rag::eval {

// Writes `out_dir`/<n>.md for the n-th document of `corpus_jsonl` (n from 0); returns the
// number of documents. REQUIRES: `out_dir` exists.
Result<std::size_t> write_corpus_pages(const std::filesystem::path& corpus_jsonl,
                                       const std::filesystem::path& out_dir);

}  // namespace rag::eval
