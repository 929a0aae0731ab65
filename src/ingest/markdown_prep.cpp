// Front matter split-off and MDX stripping (see markdown_prep.hpp).
#include "ingest/markdown_prep.hpp"

#include <cctype>
#include <vector>

#include "ingest/text_util.hpp"

namespace rag::ingest {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

std::string_view strip_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

int bracket_balance(std::string_view line) {
  int depth = 0;
  for (char c : line) {
    if (c == '{' || c == '(' || c == '[') ++depth;
    if (c == '}' || c == ')' || c == ']') --depth;
  }
  return depth;
}

bool is_fence(std::string_view line) {
  auto t = trim(line);
  return t.starts_with("```") || t.starts_with("~~~");
}

// Removes `<...>` tags from a line. `in_tag` carries an unclosed tag across lines.
// Returns the text outside tags.
std::string remove_tags(std::string_view line, bool& in_tag) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_tag) {
      if (c == '>') in_tag = false;
      continue;
    }
    bool opens = c == '<' && i + 1 < line.size() &&
                 (std::isalpha(static_cast<unsigned char>(line[i + 1])) || line[i + 1] == '/' ||
                  line[i + 1] == '>');
    if (opens) {
      in_tag = true;
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

Result<FrontMatterSplit> split_front_matter(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  auto first_nl = text.find('\n');
  if (first_nl == std::string_view::npos || strip_cr(text.substr(0, first_nl)) != "---") {
    return FrontMatterSplit{{}, text};
  }
  std::size_t pos = first_nl + 1;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    auto line = strip_cr(text.substr(pos, end - pos));
    if (line == "---" || line == "...") {
      std::string_view yaml = text.substr(first_nl + 1, pos - first_nl - 1);
      std::string_view body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      return FrontMatterSplit{yaml, body};
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return fail(ErrorCode::kInvalidArgument, "front matter opened with --- is never closed");
}

std::string strip_mdx(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  bool in_fence = false;
  int statement_depth = 0;  // > 0 while inside a multi-line import/export
  bool in_statement = false;
  bool in_tag = false;
  for (std::string_view raw : lines_of(body)) {
    std::string_view line = strip_cr(raw);
    if (in_fence || (!in_statement && !in_tag && is_fence(line))) {
      if (is_fence(line)) in_fence = !in_fence;
      out.append(line);
      out += '\n';
      continue;
    }
    if (in_statement) {
      statement_depth += bracket_balance(line);
      if (statement_depth <= 0) in_statement = false;
      continue;
    }
    auto t = trim(line);
    if (!in_tag && (line.starts_with("import ") || line.starts_with("export "))) {
      statement_depth = bracket_balance(line);
      in_statement = statement_depth > 0;
      continue;
    }
    if (!in_tag && t.size() >= 2 && t.front() == '{' && t.back() == '}') continue;
    if (in_tag || (!t.empty() && t.front() == '<')) {
      std::string text = remove_tags(line, in_tag);
      if (trim(text).empty()) {
        out += '\n';  // keeps paragraph boundaries where the tags were
        continue;
      }
      out += text;
      out += '\n';
      continue;
    }
    out.append(line);
    out += '\n';
  }
  return out;
}

}  // namespace rag::ingest
