#include "chat/query_rewrite.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace rag::chat {
namespace {

// The Python design's pronoun list, with the possessive and reflexive forms of the same words.
constexpr std::array<std::string_view, 17> kPronouns = {
    "it",  "its", "itself", "this", "that", "these", "those", "they", "them",
    "their", "theirs", "he", "him", "his", "she", "her", "hers"};

// Whitespace-separated words, lower-cased (ASCII) and stripped of surrounding punctuation.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    std::size_t b = 0, e = current.size();
    while (b < e && std::ispunct(static_cast<unsigned char>(current[b]))) ++b;
    while (e > b && std::ispunct(static_cast<unsigned char>(current[e - 1]))) --e;
    if (!current.empty()) out.push_back(current.substr(b, e - b));
    current.clear();
  };
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      current += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  flush();
  return out;
}

}  // namespace

bool needs_history(std::string_view message) {
  const auto w = words(message);
  if (w.size() <= kShortMessageWords) return true;
  return std::any_of(w.begin(), w.end(), [](const std::string& word) {
    return std::find(kPronouns.begin(), kPronouns.end(), word) != kPronouns.end();
  });
}

std::string retrieval_query(std::string_view message, const session::History& history) {
  if (history.empty() || !needs_history(message)) return std::string(message);
  const std::size_t from = history.size() > kRewriteHistoryMessages
                               ? history.size() - kRewriteHistoryMessages
                               : 0;
  std::string query;
  for (std::size_t i = from; i < history.size(); ++i) {
    query += history[i].content;
    query += ' ';
  }
  query += message;
  return query;
}

}  // namespace rag::chat
