// Extractive answers (docs/api.md), used when no chat upstream is configured: the sentences of the
// top passages that best match the query, scored BM25-style (term overlap weighted by how rare
// a term is among the candidate sentences, saturated and length-normalised) with retrieval's
// tokenizer, so "configuring ports" matches "configure the port". The chosen sentences keep
// their order (passage rank, then position in the passage) and each is cited as [n], where n is
// the 1-based index of its passage in the answer's sources; a "Sources:" list follows.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "chat/prompt.hpp"
#include "retrieval/query_terms.hpp"

namespace rag::chat {

struct ExtractiveOptions {
  std::size_t max_passages = 3;          // the top passages that sentences are taken from
  std::size_t max_sentences = 3;         // sentences in the answer
  std::size_t max_sentence_chars = 600;  // longer "sentences" (lists, tables) are cut
};

struct ScoredSentence {
  std::size_t passage = 0;   // index into the sources
  std::size_t position = 0;  // sentence index within the passage
  double score = 0;
  std::string text;
};

// The chosen sentences in answer order. Never empty when some passage has text: without any
// overlap, the first sentence of the best passage is used. `query`: the question's terms with
// their weight in the index searched (retrieval::Searcher::weigh).
std::vector<ScoredSentence> select_sentences(const std::vector<retrieval::WeightedTerm>& query,
                                             const std::vector<Source>& sources,
                                             const ExtractiveOptions& options = {});

// The answer text: "Sentence. Sentence. [1] Sentence. [2]\n\nSources:\n[1] Title (url)\n[2] ...":
// each passage's sentences together, cited once.
std::string extractive_answer(const std::vector<retrieval::WeightedTerm>& query,
                              const std::vector<Source>& sources,
                              const ExtractiveOptions& options = {});

// The same with every term of `question` of weight 1 (no index at hand: tests, tools).
std::vector<ScoredSentence> select_sentences(std::string_view question,
                                             const std::vector<Source>& sources,
                                             const ExtractiveOptions& options = {});
std::string extractive_answer(std::string_view question, const std::vector<Source>& sources,
                              const ExtractiveOptions& options = {});

}  // namespace rag::chat
