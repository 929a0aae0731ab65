// Question words and query terms (see query_terms.hpp).
#include "retrieval/query_terms.hpp"

#include <algorithm>
#include <unordered_set>

#include "retrieval/tokenizer.hpp"

namespace rag::retrieval {
namespace {

// Surface forms; compared after stemming, so "happens", "happened" and "happening" all match
// "happen". Stop words (tokenizer.cpp) are removed before this list is consulted.
constexpr std::string_view kQuestionWords[] = {
    // wh- words and relatives the stop list lacks
    "whose", "whats", "whatever", "whichever", "whoever", "however", "wherever", "whenever",
    // pronouns, indefinites, quantifiers
    "us", "one", "ones", "someone", "somebody", "something", "somewhere", "anyone", "anybody",
    "anything", "anywhere", "everyone", "everybody", "everything", "everywhere", "nothing",
    "another", "else", "every", "either", "neither", "much", "many", "lot", "lots", "several",
    "various", "certain", "kind", "sort", "thing", "stuff", "way",
    // modal and negated auxiliaries (the tokenizer drops apostrophes: "doesn't" → "doesnt")
    "may", "might", "must", "shall", "cannot", "cant", "wont", "doesnt", "isnt", "arent", "wasnt",
    "werent", "hasnt", "havent", "hadnt", "didnt", "wouldnt", "shouldnt", "couldnt", "mustnt",
    "neednt", "theres", "heres", "thats", "ok", "okay",
    // verbs of asking, knowing, wanting and doing in general
    "get", "got", "make", "made", "go", "goes", "went", "gone", "come", "take", "give", "put",
    "let", "say", "tell", "ask", "know", "think", "want", "like", "need", "try", "help", "find",
    "see", "look", "show", "explain", "describe", "mean", "happen", "work", "use", "keep", "seem",
    // frequency, degree and hedging adverbs; greetings and politeness
    "also", "still", "really", "actually", "always", "never", "ever", "often", "sometimes",
    "usually", "even", "already", "yet", "maybe", "perhaps", "probably", "possibly", "possible",
    "instead", "rather", "quite", "almost", "enough", "anyway", "please", "thanks", "thank", "hi",
    "hello", "hey", "yes", "exactly", "good", "best", "better", "able", "vs", "versus"};

const std::unordered_set<std::string>& question_stems() {
  static const std::unordered_set<std::string> stems = [] {
    std::unordered_set<std::string> out;
    for (auto word : kQuestionWords) out.insert(stem(word));
    return out;
  }();
  return stems;
}

}  // namespace

bool is_question_word(std::string_view term) {
  return question_stems().contains(std::string(term));
}

std::vector<std::string> query_terms(std::string_view query) {
  std::vector<std::string> all;
  std::unordered_set<std::string> seen;
  for (auto& term : tokenize(query)) {
    if (seen.insert(term).second) all.push_back(std::move(term));
  }
  std::vector<std::string> content;
  std::copy_if(all.begin(), all.end(), std::back_inserter(content),
               [](const std::string& t) { return !is_question_word(t); });
  return content.empty() ? all : content;
}

std::vector<WeightedTerm> unweighted_terms(std::string_view query) {
  std::vector<WeightedTerm> out;
  for (auto& term : query_terms(query)) out.push_back({std::move(term), 1.0});
  return out;
}

}  // namespace rag::retrieval
