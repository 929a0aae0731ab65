// HTML nesting bound (see html_depth.hpp).
#include "ingest/html_depth.hpp"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

namespace rag::ingest {
namespace {

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Elements that never hold children, or that a start tag of their kind closes.
bool never_nests(std::string_view name) {
  return one_of(
      name, {"area",     "base",    "br",     "col",      "embed", "hr",    "img",    "input",
             "link",     "meta",    "param",  "source",   "track", "wbr",   "keygen", "frame",
             "basefont", "bgsound", "image",  "p",        "li",    "dt",    "dd",     "tr",
             "td",       "th",      "option", "optgroup", "thead", "tbody", "tfoot",  "colgroup",
             "caption",  "rb",      "rt",     "rp",       "rtc",   "html",  "head",   "body"});
}

bool raw_text(std::string_view name) {
  return one_of(name, {"script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                       "noframes", "noscript", "plaintext"});
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':';
}

// Lower-cased tag name starting at html[i]; i moves past it.
std::string tag_name(std::string_view html, std::size_t& i) {
  std::string name;
  while (i < html.size() && name_char(html[i]))
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[i++])));
  return name;
}

// Position just past the '>' ending the tag whose name ended at `i` (quoted values skipped),
// and whether it was self-closing ("/>").
std::pair<std::size_t, bool> tag_end(std::string_view html, std::size_t i) {
  char quote = 0;
  for (; i < html.size(); ++i) {
    const char c = html[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return {i + 1, i > 0 && html[i - 1] == '/'};
    }
  }
  return {html.size(), false};
}

// Past the end tag `</name` of a raw-text element (case-insensitive), or the end.
std::size_t skip_raw_text(std::string_view html, std::size_t i, const std::string& name) {
  for (; (i = html.find("</", i)) != std::string_view::npos; i += 2) {
    std::size_t j = i + 2;
    if (tag_name(html, j) == name) return tag_end(html, j).first;
  }
  return html.size();
}

}  // namespace

std::size_t scan_html_depth(std::string_view html, std::size_t limit) {
  std::vector<std::string> open;
  std::size_t deepest = 0;
  for (std::size_t i = 0; (i = html.find('<', i)) != std::string_view::npos;) {
    if (html.compare(i, 4, "<!--") == 0) {
      const auto end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    const bool closing = i + 1 < html.size() && html[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    if (j >= html.size() || !std::isalpha(static_cast<unsigned char>(html[j]))) {
      i = j;  // text, `<!doctype`, `<?`: nothing opens
      continue;
    }
    std::string name = tag_name(html, j);
    const auto [after, self_closing] = tag_end(html, j);
    i = after;
    if (closing) {
      const auto it = std::find(open.rbegin(), open.rend(), name);
      if (it != open.rend()) open.erase(std::prev(it.base()), open.end());
    } else if (raw_text(name)) {
      i = skip_raw_text(html, i, name);
    } else if (!self_closing && !never_nests(name)) {
      open.push_back(std::move(name));
      deepest = std::max(deepest, open.size());
      if (deepest > limit) return deepest;
    }
  }
  return deepest;
}

std::size_t html_tree_depth(const GumboNode* root, std::size_t limit) {
  std::vector<std::pair<const GumboNode*, std::size_t>> stack{{root, 1}};
  std::size_t deepest = 0;
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (deepest > limit) return deepest;
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboVector& kids = node->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i)
      stack.push_back({static_cast<const GumboNode*>(kids.data[i]), depth + 1});
  }
  return deepest;
}

}  // namespace rag::ingest
