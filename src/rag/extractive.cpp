#include "rag/extractive.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "common/utf8.hpp"
#include "rag/text.hpp"
#include "retrieval/query_terms.hpp"
#include "retrieval/tokenizer.hpp"

namespace rag::chat {
namespace {

// --- Code detection ------------------------------------------------------------------------
// Documentation passages carry code blocks (curl commands, JSON bodies, YAML, env files) as
// plain lines. Quoted in an answer they read as noise, so they are dropped before sentences are
// chosen: first whole blocks (blank-line separated) or lines that look like code, then
// sentences of the remaining prose that are mostly JSON. Heuristics, tuned on docs/.

constexpr std::array<std::string_view, 27> kCommands = {
    "curl",    "wget",       "docker",    "docker-compose",
    "kubectl", "helm",       "systemctl", "journalctl",
    "sudo",    "apt",        "apt-get",   "cmake",
    "make",    "git",        "npm",       "npx",
    "node",    "pip",        "python",    "python3",
    "export",  "cd",         "echo",      "redis-cli",
    "openssl", "rag-server", "wrk"};

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_line(std::string_view s) {
  while (!s.empty() && is_blank_char(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank_char(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t indent_of(std::string_view line) {
  std::size_t n = 0;
  for (char c : line) {
    if (c == ' ')
      n += 1;
    else if (c == '\t')
      n += 4;
    else
      break;
  }
  return n;
}

bool ends_like_prose(std::string_view t) {
  const char c = t.back();
  return c == '.' || c == '!' || c == '?' || c == ':' || c == ';' || c == ')' || c == ',';
}

// `NAME=value` (an env file line) or `key: value` / `key:` (YAML) with nothing else.
bool is_setting_line(std::string_view t) {
  if (t.find(' ') == std::string_view::npos && t.find('=') != std::string_view::npos) {
    const char c = t.front();
    return (c >= 'A' && c <= 'Z') || c == '_';
  }
  const auto colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0 || ends_like_prose(t)) return false;
  for (char c : t.substr(0, colon)) {
    const bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.';
    if (!word) return false;
  }
  return std::count(t.begin(), t.end(), ' ') <= 2;
}

bool is_command_line(std::string_view t) {
  const auto space = t.find(' ');
  std::string_view first = t.substr(0, space);
  if (first.starts_with("./") || first.starts_with("build/") || first.starts_with("scripts/"))
    return !ends_like_prose(t);
  if (std::find(kCommands.begin(), kCommands.end(), first) == kCommands.end()) return false;
  if (space == std::string_view::npos) return true;
  const auto rest = t.substr(space);
  const bool has_args = rest.find(" -") != std::string_view::npos ||
                        rest.find('/') != std::string_view::npos ||
                        rest.find('=') != std::string_view::npos;
  return has_args && !ends_like_prose(t);
}

bool is_code_line(std::string_view line, bool after_continuation) {
  const auto t = trim_line(line);
  if (t.empty()) return false;
  if (after_continuation || indent_of(line) >= 4 || t.back() == '\\') return true;
  const char c = t.front();
  if (c == '{' || c == '}' || c == '[' || c == ']' || c == '<' || c == '$' || c == '#') return true;
  if (t.starts_with("//") || t.starts_with("```") || t.starts_with("~~~")) return true;
  if (c == '"' && t.find("\":") != std::string_view::npos) return true;  // a JSON member
  return is_setting_line(t) || is_command_line(t);
}

// A sentence of prose that is mostly JSON: several `"key":` members, or dense with brackets and
// quotes, or a piece of an inline example that the sentence splitter cut at a full stop inside
// a JSON string (its braces or brackets do not balance).
bool is_json_like_sentence(std::string_view s) {
  std::size_t keys = 0, symbols = 0, visible = 0;
  int braces = 0, brackets = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    braces += c == '{' ? 1 : c == '}' ? -1 : 0;
    brackets += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (c == '"' && i + 1 < s.size() && s[i + 1] == ':') ++keys;
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == '"' || c == '\\' || c == '|' ||
        c == ';' || c == '<' || c == '>')
      ++symbols;
    if (c != ' ' && c != '\n' && c != '\t') ++visible;
  }
  if (keys >= 3 || braces != 0 || brackets != 0) return true;
  return visible > 0 && static_cast<double>(symbols) / static_cast<double>(visible) > 0.15;
}

struct Line {
  std::string_view text;  // without its newline
  bool code;
};

// The prose of `text` as contiguous pieces (views into `text`), code blocks and lines removed.
std::vector<std::string_view> prose_pieces(std::string_view text) {
  std::vector<std::string_view> out;
  std::vector<Line> block;
  auto flush = [&] {
    std::size_t code = 0;
    for (const auto& l : block) code += l.code ? 1 : 0;
    // A block that opens with code, or is mostly code, is a code block: drop it whole.
    const bool code_block = !block.empty() && (block.front().code || 2 * code > block.size());
    const char* run_start = nullptr;
    const char* run_end = nullptr;
    for (const auto& l : block) {
      if (code_block || l.code) {
        if (run_start) out.emplace_back(run_start, static_cast<std::size_t>(run_end - run_start));
        run_start = nullptr;
        continue;
      }
      if (!run_start) run_start = l.text.data();
      run_end = l.text.data() + l.text.size();
    }
    if (run_start) out.emplace_back(run_start, static_cast<std::size_t>(run_end - run_start));
    block.clear();
  };
  bool continuation = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = text.substr(start, end - start);
    if (trim_line(line).empty()) {
      flush();
      continuation = false;
    } else {
      const bool code = is_code_line(line, continuation);
      block.push_back({line, code});
      continuation = code && trim_line(line).back() == '\\';
    }
    start = end + 1;
  }
  flush();
  return out;
}

// --- Scoring and selection ------------------------------------------------------------------

struct Candidate {
  ScoredSentence sentence;
  std::vector<std::string> terms;
};

// The sentences of the top passages; with `prose_only`, code and JSON-like ones are left out.
// A sentence met before (the same words, in a higher-ranked passage or earlier) is left out.
std::vector<Candidate> candidates(const std::vector<Source>& sources,
                                  const ExtractiveOptions& options, bool prose_only) {
  std::vector<Candidate> out;
  std::set<std::string> seen;
  const std::size_t n = std::min(sources.size(), options.max_passages);
  for (std::size_t p = 0; p < n; ++p) {
    std::vector<std::string_view> sentences;
    if (prose_only) {
      for (auto piece : prose_pieces(sources[p].content))
        for (auto s : split_sentences(piece))
          if (!is_json_like_sentence(s)) sentences.push_back(s);
    } else {
      sentences = split_sentences(sources[p].content);
    }
    for (std::size_t i = 0; i < sentences.size(); ++i) {
      std::string text(utf8_prefix(sentences[i], options.max_sentence_chars));
      if (text.size() < sentences[i].size()) text += "...";
      std::string key;
      for (const auto& word : retrieval::split_words(text)) key += word + ' ';
      if (!seen.insert(key.empty() ? text : key).second) continue;
      auto terms = retrieval::tokenize(text);
      out.push_back({{p, i, 0, std::move(text)}, std::move(terms)});
    }
  }
  return out;
}

bool holds(const Candidate& c, const std::string& term) {
  return std::find(c.terms.begin(), c.terms.end(), term) != c.terms.end();
}

// Greedy choice of sentences that together cover the question. A sentence's score is its
// coverage of the query: the summed weight (idf in the index) of the query terms it holds;
// saying a word twice adds nothing. Each pick maximises its coverage, counting a term already
// covered by an earlier pick kCoveredShare (so a second passage that confirms the first is
// still welcome), times its passage's retrieval score, halved when its passage already gave
// one. The first pick is the best sentence whatever it holds; after it, a sentence must hold
// at least kMinShare of the weight of the query terms that any candidate holds: one that
// shares a single minor word of the question is not evidence.
constexpr double kCoveredShare = 0.5;
constexpr double kSamePassage = 0.5;
constexpr double kMinShare = 0.5;

std::vector<ScoredSentence> choose(std::vector<Candidate>& cands,
                                   const std::vector<Source>& sources,
                                   const std::vector<retrieval::WeightedTerm>& terms,
                                   std::size_t max_sentences) {
  std::vector<std::string> query;
  std::vector<double> weight;
  for (const auto& t : terms) {
    query.push_back(t.term);
    weight.push_back(t.weight);
  }
  double present = 0;  // the weight of the query terms some candidate holds
  for (std::size_t q = 0; q < query.size(); ++q) {
    const bool held = std::any_of(cands.begin(), cands.end(),
                                  [&](const Candidate& c) { return holds(c, query[q]); });
    present += held ? weight[q] : 0;
  }
  const auto share_of = [&](const Candidate& c) {
    double held = 0;
    for (std::size_t q = 0; q < query.size(); ++q) held += holds(c, query[q]) ? weight[q] : 0;
    return present > 0 ? held / present : 0;
  };
  std::vector<bool> covered(query.size(), false);
  const auto gain_of = [&](const Candidate& c) {
    double gain = 0;
    for (std::size_t q = 0; q < query.size(); ++q) {
      if (holds(c, query[q])) gain += covered[q] ? kCoveredShare * weight[q] : weight[q];
    }
    return gain * std::max(sources[c.sentence.passage].similarity_score, 0.01);
  };
  for (auto& c : cands) c.sentence.score = gain_of(c);
  std::vector<bool> taken(cands.size(), false);
  std::set<std::size_t> passages;
  std::vector<ScoredSentence> chosen;
  while (chosen.size() < max_sentences) {
    double best_gain = 0;
    std::size_t best = cands.size();
    for (std::size_t i = 0; i < cands.size(); ++i) {
      if (taken[i] || (!chosen.empty() && share_of(cands[i]) < kMinShare)) continue;
      double gain = gain_of(cands[i]);
      if (passages.contains(cands[i].sentence.passage)) gain *= kSamePassage;
      if (gain > best_gain) {  // ties: the earlier sentence (better passage, earlier position)
        best_gain = gain;
        best = i;
      }
    }
    if (best == cands.size()) break;
    taken[best] = true;
    passages.insert(cands[best].sentence.passage);
    for (std::size_t q = 0; q < query.size(); ++q) {
      covered[q] = covered[q] || holds(cands[best], query[q]);
    }
    chosen.push_back(cands[best].sentence);
  }
  return chosen;
}

}  // namespace

std::vector<ScoredSentence> select_sentences(const std::vector<retrieval::WeightedTerm>& query,
                                             const std::vector<Source>& sources,
                                             const ExtractiveOptions& options) {
  auto cands = candidates(sources, options, /*prose_only=*/true);
  // Passages that are nothing but code: quoting code beats saying nothing.
  if (cands.empty()) cands = candidates(sources, options, /*prose_only=*/false);
  if (cands.empty() || options.max_sentences == 0) return {};
  auto chosen = choose(cands, sources, query, options.max_sentences);
  if (chosen.empty()) chosen.push_back(cands.front().sentence);  // no overlap: the first one
  std::sort(chosen.begin(), chosen.end(), [](const ScoredSentence& a, const ScoredSentence& b) {
    return a.passage != b.passage ? a.passage < b.passage : a.position < b.position;
  });
  return chosen;
}

std::string extractive_answer(const std::vector<retrieval::WeightedTerm>& query,
                              const std::vector<Source>& sources,
                              const ExtractiveOptions& options) {
  const auto chosen = select_sentences(query, sources, options);
  std::string out;
  std::vector<std::size_t> cited;
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (!out.empty()) out += ' ';
    out += chosen[i].text;
    // One citation per passage, after its last sentence (sentences come grouped by passage).
    if (i + 1 == chosen.size() || chosen[i + 1].passage != chosen[i].passage) {
      out += " [" + std::to_string(chosen[i].passage + 1) + "]";
      cited.push_back(chosen[i].passage);
    }
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

std::vector<ScoredSentence> select_sentences(std::string_view question,
                                             const std::vector<Source>& sources,
                                             const ExtractiveOptions& options) {
  return select_sentences(retrieval::unweighted_terms(question), sources, options);
}

std::string extractive_answer(std::string_view question, const std::vector<Source>& sources,
                              const ExtractiveOptions& options) {
  return extractive_answer(retrieval::unweighted_terms(question), sources, options);
}

}  // namespace rag::chat
