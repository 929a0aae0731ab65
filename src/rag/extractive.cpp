#include "rag/extractive.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "rag/text.hpp"
#include "retrieval/tokenizer.hpp"

namespace rag::chat {
namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

struct Candidate {
  ScoredSentence sentence;
  std::vector<std::string> terms;
};

std::vector<Candidate> candidates(const std::vector<Source>& sources,
                                  const ExtractiveOptions& options) {
  std::vector<Candidate> out;
  const std::size_t n = std::min(sources.size(), options.max_passages);
  for (std::size_t p = 0; p < n; ++p) {
    const auto sentences = split_sentences(sources[p].content);
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      std::string text(prefix_code_points(sentences[i], options.max_sentence_chars));
      if (text.size() < sentences[i].size()) text += "...";
      auto terms = retrieval::tokenize(text);
      out.push_back({{p, i, 0, std::move(text)}, std::move(terms)});
    }
  }
  return out;
}

void score(std::vector<Candidate>& cands, const std::vector<std::string>& query_terms) {
  if (cands.empty()) return;
  std::unordered_map<std::string, std::size_t> df;
  double total_len = 0;
  for (const auto& c : cands) {
    total_len += static_cast<double>(c.terms.size());
    for (const auto& t : std::set<std::string>(c.terms.begin(), c.terms.end())) ++df[t];
  }
  const double n = static_cast<double>(cands.size());
  const double avg_len = std::max(1.0, total_len / n);
  const std::set<std::string> unique_query(query_terms.begin(), query_terms.end());
  for (auto& c : cands) {
    double s = 0;
    for (const auto& q : unique_query) {
      const auto tf = static_cast<double>(std::count(c.terms.begin(), c.terms.end(), q));
      if (tf == 0) continue;
      const double d = static_cast<double>(df[q]);
      const double idf = std::log(1.0 + (n - d + 0.5) / (d + 0.5));
      const double len = static_cast<double>(c.terms.size());
      s += idf * tf * (kK1 + 1) / (tf + kK1 * (1 - kB + kB * len / avg_len));
    }
    c.sentence.score = s;
  }
}

}  // namespace

std::vector<ScoredSentence> select_sentences(std::string_view query,
                                             const std::vector<Source>& sources,
                                             const ExtractiveOptions& options) {
  auto cands = candidates(sources, options);
  if (cands.empty()) return {};
  score(cands, retrieval::tokenize(query));
  std::vector<std::size_t> order(cands.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Best first; ties go to the earlier sentence (higher-ranked passage, earlier position).
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return cands[a].sentence.score > cands[b].sentence.score;
  });
  std::vector<ScoredSentence> chosen;
  for (std::size_t idx : order) {
    if (chosen.size() == options.max_sentences) break;
    if (cands[idx].sentence.score <= 0 && !chosen.empty()) break;
    chosen.push_back(cands[idx].sentence);
    if (cands[idx].sentence.score <= 0) break;  // no overlap at all: the first sentence only
  }
  std::sort(chosen.begin(), chosen.end(), [](const ScoredSentence& a, const ScoredSentence& b) {
    return a.passage != b.passage ? a.passage < b.passage : a.position < b.position;
  });
  return chosen;
}

std::string extractive_answer(std::string_view query, const std::vector<Source>& sources,
                              const ExtractiveOptions& options) {
  const auto chosen = select_sentences(query, sources, options);
  std::string out;
  std::set<std::size_t> cited;
  for (const auto& s : chosen) {
    if (!out.empty()) out += ' ';
    out += s.text;
    out += " [" + std::to_string(s.passage + 1) + "]";
    cited.insert(s.passage);
  }
  if (cited.empty()) return out;
  out += "\n\nSources:";
  for (std::size_t p : cited) {
    const auto& src = sources[p];
    out += "\n[" + std::to_string(p + 1) + "] ";
    if (src.title.empty()) {
      out += src.url;
    } else {
      out += src.title;
      if (!src.url.empty()) out += " (" + src.url + ")";
    }
  }
  return out;
}

}  // namespace rag::chat
