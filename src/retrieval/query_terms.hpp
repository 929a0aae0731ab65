// What a query is about: its terms (tokenize()) without the words that only say what kind of
// answer is wanted — "how does X work", "can you explain X", "what happens when X", "is there
// a way to X" — each term once, in query order. A query made of nothing but such words keeps
// them (it is then about them). Both ranking and the relevance rule use these terms, so "What
// happens when Azure returns 429?" is scored as "Azure return 429" (retrieval/README.md).
//
// The question words are general English, chosen by kind (not from any corpus): indefinite
// pronouns and quantifiers, modal and negated auxiliaries, verbs of asking, knowing, wanting
// and doing, frequency and hedging adverbs, greetings. A corpus whose subject is one of them
// (a page named "Help") still finds it when the word is searched for with content words.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rag::retrieval {

// True when `term` (a stem, as tokenize() returns it) is a question word.
bool is_question_word(std::string_view term);

// tokenize(query) without question words (unless nothing else is left), duplicates removed.
std::vector<std::string> query_terms(std::string_view query);

// A query term and how much it says: its idf in the index searched (Snapshot::weigh), or 1
// when no index is at hand.
struct WeightedTerm {
  std::string term;
  double weight = 1;
};

// query_terms(query), each of weight 1.
std::vector<WeightedTerm> unweighted_terms(std::string_view query);

}  // namespace rag::retrieval
