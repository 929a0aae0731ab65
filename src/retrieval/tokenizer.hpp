// The lexical analyser shared by indexing (BM25 documents) and querying: UTF-8 text → stemmed,
// lower-cased terms with English stop words removed. Pure functions of their input.
//
// Rules: letters and digits of any script form tokens; everything else (punctuation, symbols,
// spaces, emoji) separates them. ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters are
// lower-cased; Latin diacritics are folded (é → e, æ → ae, ß → ss) and combining marks
// dropped, so "Vitæ" matches "vitae". Han/Hiragana/Katakana ideographs, which are written without
// spaces, become one token each. Tokens longer than kMaxTokenBytes are discarded (base64, hashes).
// Each token is then stemmed with Snowball's English stemmer.
//
// Thread-safety: every function may be called concurrently from any thread (the Snowball stemmer,
// which is not thread-safe, is held per thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rag::retrieval {

inline constexpr std::size_t kMaxTokenBytes = 64;

// Splits, lower-cases and folds, without stop-word removal or stemming.
std::vector<std::string> split_words(std::string_view text);

// True for an English stop word (lower-case, unstemmed).
bool is_stop_word(std::string_view word);

// Snowball English stem of a lower-case word.
std::string stem(std::string_view word);

// The full pipeline: split_words → drop stop words → stem.
std::vector<std::string> tokenize(std::string_view text);

}  // namespace rag::retrieval
