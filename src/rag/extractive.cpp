#include "rag/extractive.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <unordered_map>

#include "rag/text.hpp"
#include "retrieval/tokenizer.hpp"

namespace rag::chat {
namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

// --- Code detection ------------------------------------------------------------------------
// Documentation passages carry code blocks (curl commands, JSON bodies, YAML, env files) as
// plain lines. Quoted in an answer they read as noise, so they are dropped before sentences are
// chosen: first whole blocks (blank-line separated) or lines that look like code, then
// sentences of the remaining prose that are mostly JSON. Heuristics, tuned on docs/.

constexpr std::array<std::string_view, 27> kCommands = {
    "curl", "wget", "docker", "docker-compose", "kubectl", "helm", "systemctl", "journalctl",
    "sudo", "apt", "apt-get", "cmake", "make", "git", "npm", "npx", "node", "pip", "python",
    "python3", "export", "cd", "echo", "redis-cli", "openssl", "rag-server", "wrk"};

bool is_blank_char(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_line(std::string_view s) {
  while (!s.empty() && is_blank_char(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank_char(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t indent_of(std::string_view line) {
  std::size_t n = 0;
  for (char c : line) {
    if (c == ' ') n += 1;
    else if (c == '\t') n += 4;
    else break;
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
  if (c == '{' || c == '}' || c == '[' || c == ']' || c == '<' || c == '$' || c == '#')
    return true;
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

// --- Scoring -------------------------------------------------------------------------------

struct Candidate {
  ScoredSentence sentence;
  std::vector<std::string> terms;
};

// The sentences of the top passages; with `prose_only`, code and JSON-like ones are left out.
std::vector<Candidate> candidates(const std::vector<Source>& sources,
                                  const ExtractiveOptions& options, bool prose_only) {
  std::vector<Candidate> out;
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
  auto cands = candidates(sources, options, /*prose_only=*/true);
  // Passages that are nothing but code: quoting code beats saying nothing.
  if (cands.empty()) cands = candidates(sources, options, /*prose_only=*/false);
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
