#include "chat/extractive.hpp"

#include <algorithm>
#include <cstddef>
#include <set>

#include "common/text.hpp"
#include "common/utf8.hpp"
#include "chat/text.hpp"
#include "retrieval/query_terms.hpp"
#include "retrieval/tokenizer.hpp"

namespace rag::chat {
namespace {

// --- Code detection ------------------------------------------------------------------------
// Documentation passages carry code blocks (curl commands, JSON bodies, YAML, env files) as
// plain lines. Quoted in an answer they read as noise, so they are dropped before sentences are
// chosen: first whole blocks (blank-line separated) or lines that look like code, then
// sentences of the remaining prose that are mostly JSON. Every rule reads the shape of the
// text, never a list of known programs or words, so it holds for any corpus.

std::string_view trim_line(std::string_view s) { return trim(s, " \t\r"); }

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

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A program named the way programs are: `curl`, `docker-compose`, `python3`, `g++`. Prose starts
// its sentences with a capital letter.
bool is_program_name(std::string_view w) {
  if (w.empty() || w.front() < 'a' || w.front() > 'z') return false;
  return std::all_of(w.begin(), w.end(), [](char c) {
    return is_lower_or_digit(c) || c == '-' || c == '_' || c == '.' || c == '+';
  });
}

// `-d`, `-p8000`, `--out`: a dash, then a letter (a lone dash or `-5` is not a flag).
bool is_flag(std::string_view w) {
  if (w.starts_with("--")) w.remove_prefix(1);
  return w.size() >= 2 && w[0] == '-' &&
         ((w[1] >= 'a' && w[1] <= 'z') || (w[1] >= 'A' && w[1] <= 'Z'));
}

// `./run.sh`, `/etc/hosts`, `http://host/x`, `deploy/haproxy.cfg`, `build/rag-server`: a word
// with a slash that reads as a path, unlike the slash of running text (`and/or`, `N/A`): rooted,
// a URL, two slashes or more, or a last part with a dot, dash or underscore.
bool is_path(std::string_view w) {
  const auto slash = w.rfind('/');
  if (w.size() < 2 || slash == std::string_view::npos) return false;
  if (w.starts_with('/') || w.starts_with("./") || w.starts_with("../") || w.starts_with("~/"))
    return true;
  if (w.find("://") != std::string_view::npos || w.find('/') != slash) return true;
  return w.find_first_of(".-_", slash) != std::string_view::npos;
}

// A path that can name a program (`./configure`, `build/rag-server`) or set a variable before one
// (`DIR=/tmp`): no URL, no Markdown link.
bool is_program_path(std::string_view w) {
  return is_path(w) && w.find("://") == std::string_view::npos &&
         w.find_first_of("[]()") == std::string_view::npos;
}

// `NAME=value` or `name=value`.
bool is_assignment(std::string_view w) {
  const auto eq = w.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  return std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(eq), [](char c) {
    return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

// A word of running text: lower-case letters, perhaps followed by one punctuation mark.
bool is_plain_word(std::string_view w) {
  if (!w.empty() && (w.back() == ',' || w.back() == '.' || w.back() == ';' || w.back() == ':'))
    w.remove_suffix(1);
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

struct ShellWord {
  std::string_view text;
  bool quoted;  // holds a '...' or "..." part
};

// The words of a would-be command line, split at spaces outside quotes (a quote opens a word or
// follows `=`; an apostrophe inside a word is a letter), up to a `#` comment.
std::vector<ShellWord> shell_words(std::string_view t) {
  std::vector<ShellWord> out;
  std::size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && t[i] == ' ') ++i;
    if (i == t.size() || t[i] == '#') break;
    const std::size_t start = i;
    char quote = 0;
    bool quoted = false;
    for (; i < t.size() && (quote != 0 || t[i] != ' '); ++i) {
      if (quote != 0) {
        if (t[i] == quote) quote = 0;
      } else if ((t[i] == '\'' || t[i] == '"') && (i == start || t[i - 1] == '=')) {
        quote = t[i];
        quoted = true;
      }
    }
    out.push_back({t.substr(start, i - start), quoted});
  }
  return out;
}

// A shell command by its shape: a path as the program (`./configure`, `build/rag-server index`),
// or a program name followed by at least one flag, path or assignment (`curl -s ...`, `git clone
// https://...`, `export KEY=value`). Quoted arguments and a trailing `# comment` are not read as
// text. Never a line that ends as prose does, one with Markdown's inline code (backticks mark code
// inside prose), or one with more than kMaxPlainWords words of running text (a line of prose that
// mentions a path).
constexpr std::size_t kMaxPlainWords = 4;

bool is_command_line(std::string_view t) {
  if (t.find('`') != std::string_view::npos) return false;
  const auto words = shell_words(t);
  if (words.empty()) return false;
  const auto& last = words.back().text;
  if (ends_like_prose(last) && !words.back().quoted) return false;
  const auto first = words.front().text;
  bool argument = is_program_path(first);
  if (!argument && !is_program_name(first)) return false;
  std::size_t plain = 0;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto word = words[i].text;
    argument = argument || is_flag(word) || is_path(word) || is_assignment(word);
    plain += !words[i].quoted && is_plain_word(word) ? 1 : 0;
  }
  return argument && plain <= kMaxPlainWords;
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
