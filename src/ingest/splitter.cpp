// The splitter (see splitter.hpp).
#include "ingest/splitter.hpp"

#include "ingest/text_util.hpp"

namespace rag::ingest {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Sentences including their trailing punctuation, without surrounding spaces.
std::vector<std::string_view> sentences(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '.' && c != '!' && c != '?') continue;
    std::size_t end = i + 1;
    while (end < text.size() && (text[end] == '"' || text[end] == '\'' || text[end] == ')' ||
                                 text[end] == ']')) {
      ++end;
    }
    if (end < text.size() && !is_space(text[end])) continue;
    auto s = trim(text.substr(start, end - start));
    if (!s.empty()) out.push_back(s);
    start = end;
    i = end - 1;
  }
  auto rest = trim(text.substr(std::min(start, text.size())));
  if (!rest.empty()) out.push_back(rest);
  return out;
}

// Cuts one over-long sentence at spaces (or hard at the limit).
void cut_long(std::string_view s, std::size_t max_chars, std::vector<std::string>& out) {
  while (utf8_length(s) > max_chars) {
    std::size_t limit = utf8_prefix(s, max_chars).size();
    std::size_t cut = s.rfind(' ', limit);
    if (cut == std::string_view::npos || cut == 0) cut = limit;
    out.emplace_back(trim(s.substr(0, cut)));
    s = trim(s.substr(cut));
  }
  if (!s.empty()) out.emplace_back(s);
}

class SectionBuilder {
 public:
  SectionBuilder(const SplitOptions& o, std::vector<SplitChunk>& out) : o_(o), out_(out) {}

  void heading(const Block& b) {
    flush();
    name_ = b.text;
    level_ = "h" + std::to_string(b.level);
    ++sections_;
  }
  void paragraph(const std::string& text) {
    start_if_needed();
    // A blank unit would make a blank chunk (with --min-paragraph-chars 0), which embedding
    // APIs reject for the whole batch. Found by fuzz/splitter.
    if (trim(text).empty()) return;
    if (utf8_length(text) < static_cast<std::size_t>(o_.min_paragraph_chars)) return;
    if (utf8_length(text) <= static_cast<std::size_t>(o_.chunk_max_chars)) {
      units_.push_back(text);
      return;
    }
    for (auto& piece : cut_at_sentences(text, static_cast<std::size_t>(o_.chunk_max_chars))) {
      units_.push_back(std::move(piece));
    }
  }
  void code(const std::string& text) {
    start_if_needed();
    // A short snippet alone would be a noise chunk; with prose before it, it belongs there.
    const bool tiny = utf8_length(text) < static_cast<std::size_t>(o_.min_paragraph_chars);
    std::vector<std::string> pieces;
    if (!(tiny && units_.empty())) cut_long_lines(text, pieces);
    for (auto& p : pieces) units_.push_back(std::move(p));
    flush();
    // What follows belongs to a new section; it keeps the heading's name if there was one.
    started_ = level_ != "none";
    if (started_) ++sections_;
  }
  void flush() {
    const auto n = units_.size();
    const auto per = static_cast<std::size_t>(o_.chunk_paragraphs);
    const auto step = per - static_cast<std::size_t>(o_.chunk_overlap);
    for (std::size_t start = 0; start < n; start += step) {
      std::size_t end = std::min(start + per, n);
      std::string text;
      std::size_t overlap = 0;
      for (std::size_t i = start; i < end; ++i) {
        if (!text.empty()) text += "\n\n";
        text += units_[i];
        // The first chunk_overlap units end the previous chunk too; a blank line follows them.
        if (start > 0 && i + 1 == start + per - step) overlap = text.size() + 2;
      }
      out_.push_back({std::move(text), name_, level_, overlap});
      if (end == n) break;
    }
    units_.clear();
    started_ = false;
  }

 private:
  void start_if_needed() {
    if (started_) return;
    started_ = true;
    if (level_ == "none" || name_.empty()) {
      ++sections_;
      name_ = "Section " + std::to_string(sections_);
      level_ = "none";
    }
  }
  // Code is cut at line ends rather than sentences.
  void cut_long_lines(const std::string& text, std::vector<std::string>& out) const {
    const auto max = static_cast<std::size_t>(o_.chunk_max_chars);
    std::string_view rest(text);
    while (utf8_length(rest) > max) {
      std::size_t limit = utf8_prefix(rest, max).size();
      std::size_t cut = rest.rfind('\n', limit);
      if (cut == std::string_view::npos || cut == 0) cut = limit;
      if (!trim(rest.substr(0, cut)).empty()) out.emplace_back(rest.substr(0, cut));
      rest = rest.substr(cut);
      while (!rest.empty() && rest.front() == '\n') rest.remove_prefix(1);
    }
    if (!trim(rest).empty()) out.emplace_back(rest);
  }

  const SplitOptions& o_;
  std::vector<SplitChunk>& out_;
  std::vector<std::string> units_;
  std::string name_;
  std::string level_ = "none";
  int sections_ = 0;
  bool started_ = false;
};

}  // namespace

Result<void> validate(const SplitOptions& o) {
  if (o.chunk_paragraphs < 1) {
    return fail(ErrorCode::kInvalidArgument, "--chunk-paragraphs must be at least 1");
  }
  if (o.chunk_overlap < 0 || o.chunk_overlap >= o.chunk_paragraphs) {
    return fail(ErrorCode::kInvalidArgument,
                "--chunk-overlap must be from 0 to --chunk-paragraphs minus 1");
  }
  if (o.min_paragraph_chars < 0) {
    return fail(ErrorCode::kInvalidArgument, "--min-paragraph-chars must not be negative");
  }
  if (o.chunk_max_chars < 1) {
    return fail(ErrorCode::kInvalidArgument, "--chunk-max-chars must be at least 1");
  }
  return {};
}

std::vector<std::string> cut_at_sentences(std::string_view text, std::size_t max_chars) {
  std::vector<std::string> out;
  std::string piece;
  std::size_t piece_len = 0;
  for (auto s : sentences(text)) {
    std::size_t len = utf8_length(s);
    if (piece_len > 0 && piece_len + 1 + len <= max_chars) {
      piece += ' ';
      piece.append(s);
      piece_len += 1 + len;
      continue;
    }
    if (!piece.empty()) out.push_back(std::move(piece));
    piece.clear();
    piece_len = 0;
    if (len > max_chars) {
      cut_long(s, max_chars, out);
    } else {
      piece.assign(s);
      piece_len = len;
    }
  }
  if (!piece.empty()) out.push_back(std::move(piece));
  return out;
}

std::vector<SplitChunk> split(const Document& doc, const SplitOptions& options) {
  std::vector<SplitChunk> out;
  SectionBuilder b(options, out);
  for (const Block& block : doc.blocks) {
    switch (block.kind) {
      case Block::Kind::kHeading: b.heading(block); break;
      case Block::Kind::kParagraph: b.paragraph(block.text); break;
      case Block::Kind::kCode: b.code(block.text); break;
    }
  }
  b.flush();
  return out;
}

}  // namespace rag::ingest
