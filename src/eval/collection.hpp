// The two kinds of collection `rag-server eval` scores (docs/eval.md):
//   - a BEIR-format folder: corpus.jsonl ({"_id", "title", "text"} per line), queries.jsonl
//     ({"_id", "text"}), qrels/<split>.tsv (query-id, corpus-id, score; a header line);
//     only queries with at least one relevant judgement are kept, as BEIR does;
//   - a questions file (JSON lines): {"question": "...", "pages": ["/guide", ...]}, the pages
//     that answer it as citation urls or source paths; `"pages": []` marks a question the
//     documents do not answer (the right result is none).
//
// Thread-safety: pure functions of the files they read.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "eval/metrics.hpp"

namespace rag::eval {

struct EvalQuery {
  std::string id;  // BEIR query id, or the line number in a questions file
  std::string text;
  Judgements judged;  // empty: a question the documents do not answer
};

struct Collection {
  std::string name;              // the folder or file name
  std::filesystem::path corpus;  // BEIR corpus.jsonl; empty for a questions file
  std::vector<EvalQuery> queries;
};

// A folder holding corpus.jsonl is read as BEIR (qrels/<split>.tsv; with `split` empty, the
// only .tsv in qrels/, else test.tsv); anything else as a questions file. kNotFound or
// kInvalidArgument (naming the file and line) when it cannot be read.
Result<Collection> load_collection(const std::filesystem::path& path, std::string_view split);

}  // namespace rag::eval
