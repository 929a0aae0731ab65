// What the scale tools (bench/scale/README.md) read: a lexical.idx that `rag-server index`
// wrote, and the queries of a BEIR queries.jsonl.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "retrieval/lexical_file.hpp"
#include "retrieval/query_terms.hpp"

namespace rag::bench {

// The lexical index in `file`, loaded as the server loads it; nullopt, with the reason printed,
// when it cannot be.
inline std::optional<retrieval::LexicalIndex> open_lexical_index(const std::string& file) {
  auto index = retrieval::load_lexical_index(file, retrieval::saved_lexical_generation(file));
  if (!index) {
    std::fprintf(stderr, "%s\n", index.error().message.c_str());
    return std::nullopt;
  }
  return std::move(*index);
}

// The "text" of each query in a BEIR queries.jsonl, in file order.
inline std::vector<std::string> query_texts(const std::string& jsonl) {
  std::vector<std::string> texts;
  std::ifstream in(jsonl);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  }
  return texts;
}

// Each query's terms, as the server turns its text into terms.
inline std::vector<std::vector<std::string>> query_terms_of(const std::string& jsonl) {
  std::vector<std::vector<std::string>> queries;
  for (const auto& text : query_texts(jsonl)) queries.push_back(retrieval::query_terms(text));
  return queries;
}

}  // namespace rag::bench
