// HTML loader over gumbo: collects <head> metadata and walks <body> into blocks. Inline text
// accumulates until a block-level element flushes it as a paragraph; lists become one
// paragraph of items (one per line); <pre> becomes a code block; navigation is skipped.
#include <gumbo.h>

#include <memory>
#include <string>

#include "ingest/html_depth.hpp"
#include "ingest/loaders.hpp"
#include "ingest/text_util.hpp"

namespace rag::ingest {
namespace {

struct OutputDeleter {
  void operator()(GumboOutput* out) const { gumbo_destroy_output(&kGumboDefaultOptions, out); }
};

const char* attr(const GumboNode* node, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&node->v.element.attributes, name);
  return a ? a->value : nullptr;
}

bool has_class(const GumboNode* node, std::string_view cls) {
  const char* c = attr(node, "class");
  if (!c) return false;
  std::string_view all(c);
  std::size_t pos = 0;
  while ((pos = all.find(cls, pos)) != std::string_view::npos) {
    bool start = pos == 0 || all[pos - 1] == ' ';
    bool end = pos + cls.size() == all.size() || all[pos + cls.size()] == ' ';
    if (start && end) return true;
    pos += cls.size();
  }
  return false;
}

bool skipped(const GumboNode* node) {
  switch (node->v.element.tag) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NAV: case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_SVG: case GUMBO_TAG_FOOTER: case GUMBO_TAG_FORM:
    case GUMBO_TAG_BUTTON: case GUMBO_TAG_SELECT: case GUMBO_TAG_IFRAME: case GUMBO_TAG_HEAD:
      return true;
    default: break;
  }
  const char* role = attr(node, "role");
  if (role && (std::string_view(role) == "navigation" || std::string_view(role) == "search")) {
    return true;
  }
  return has_class(node, "headerlink");
}

bool block_level(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN: case GUMBO_TAG_BODY: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_DD:
    case GUMBO_TAG_DT: case GUMBO_TAG_DL: case GUMBO_TAG_TABLE: case GUMBO_TAG_TR:
    case GUMBO_TAG_THEAD: case GUMBO_TAG_TBODY: case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_HEADER: case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_DETAILS: case GUMBO_TAG_SUMMARY: case GUMBO_TAG_HR: case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_CAPTION: case GUMBO_TAG_LI:
      return true;
    default: return false;
  }
}

int heading_level(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1: return 1;
    case GUMBO_TAG_H2: return 2;
    case GUMBO_TAG_H3: return 3;
    case GUMBO_TAG_H4: return 4;
    case GUMBO_TAG_H5: return 5;
    case GUMBO_TAG_H6: return 6;
    default: return 0;
  }
}

// All text under `node` (skipping what skipped() says), raw.
void append_text(const GumboNode* node, std::string& out) {
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
      node->type == GUMBO_NODE_CDATA) {
    out += node->v.text.text;
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT || skipped(node)) return;
  if (node->v.element.tag == GUMBO_TAG_BR) out += ' ';
  const GumboVector& kids = node->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) {
    append_text(static_cast<const GumboNode*>(kids.data[i]), out);
  }
  if (block_level(node->v.element.tag) || node->v.element.tag == GUMBO_TAG_TD ||
      node->v.element.tag == GUMBO_TAG_TH) {
    out += ' ';
  }
}

class BodyWalker {
 public:
  explicit BodyWalker(Document& doc) : doc_(doc) {}

  void visit(const GumboNode* node) {
    if (node->type != GUMBO_NODE_ELEMENT) {
      append_text(node, inline_);
      return;
    }
    if (skipped(node)) return;
    GumboTag tag = node->v.element.tag;
    if (int level = heading_level(tag)) {
      flush();
      std::string text;
      append_text(node, text);
      add(Block::Kind::kHeading, level, collapse_whitespace(text));
    } else if (tag == GUMBO_TAG_PRE) {
      flush();
      std::string text;
      append_text(node, text);
      std::string code(trim(text));
      if (!code.empty()) doc_.blocks.push_back({Block::Kind::kCode, 0, std::move(code)});
    } else if (tag == GUMBO_TAG_UL || tag == GUMBO_TAG_OL) {
      flush();
      list(node);
    } else if (block_level(tag)) {
      flush();
      children(node);
      flush();
    } else {
      if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH || tag == GUMBO_TAG_BR) inline_ += ' ';
      children(node);
    }
  }
  void flush() {
    add(Block::Kind::kParagraph, 0, collapse_whitespace(inline_));
    inline_.clear();
  }

 private:
  void children(const GumboNode* node) {
    const GumboVector& kids = node->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) visit(static_cast<const GumboNode*>(kids.data[i]));
  }
  void list(const GumboNode* node) {
    std::string items;
    const GumboVector& kids = node->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      const auto* li = static_cast<const GumboNode*>(kids.data[i]);
      if (li->type != GUMBO_NODE_ELEMENT || skipped(li)) continue;
      std::string text;
      append_text(li, text);
      std::string item = collapse_whitespace(text);
      if (item.empty()) continue;
      if (!items.empty()) items += '\n';
      items += item;
    }
    add(Block::Kind::kParagraph, 0, std::move(items));
  }
  void add(Block::Kind kind, int level, std::string text) {
    if (!text.empty()) doc_.blocks.push_back({kind, level, std::move(text)});
  }

  Document& doc_;
  std::string inline_;
};

const GumboNode* child(const GumboNode* node, GumboTag tag) {
  const GumboVector& kids = node->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) {
    const auto* k = static_cast<const GumboNode*>(kids.data[i]);
    if (k->type == GUMBO_NODE_ELEMENT && k->v.element.tag == tag) return k;
  }
  return nullptr;
}

void read_head(const GumboNode* head, Document& doc) {
  std::string title_tag, og_title, og_description, og_url, og_published;
  const GumboVector& kids = head->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) {
    const auto* k = static_cast<const GumboNode*>(kids.data[i]);
    if (k->type != GUMBO_NODE_ELEMENT) continue;
    if (k->v.element.tag == GUMBO_TAG_TITLE) {
      append_text(k, title_tag);
      continue;
    }
    if (k->v.element.tag != GUMBO_TAG_META) continue;
    const char* content = attr(k, "content");
    if (!content) continue;
    std::string value = collapse_whitespace(content);
    std::string_view name = attr(k, "name") ? attr(k, "name") : "";
    std::string_view property = attr(k, "property") ? attr(k, "property") : "";
    if (name == "title") doc.title = value;
    else if (name == "description") doc.description = value;
    else if (name == "published") doc.published = value;
    else if (name == "url") doc.url = value;
    else if (property == "og:title") og_title = value;
    else if (property == "og:description") og_description = value;
    else if (property == "og:url") og_url = value;
    else if (property == "article:published_time") og_published = value;
  }
  if (doc.title.empty()) doc.title = !og_title.empty() ? og_title : collapse_whitespace(title_tag);
  if (doc.description.empty()) doc.description = og_description;
  if (doc.published.empty()) doc.published = og_published;
  if (doc.url.empty()) doc.url = og_url;
}

}  // namespace

Result<Document> load_html(std::string_view bytes) {
  std::string html = sanitize_utf8(bytes);
  const auto too_deep = [] {
    return fail(ErrorCode::kInvalidArgument,
                "HTML nested deeper than " + std::to_string(kMaxHtmlDepth) + " elements");
  };
  if (scan_html_depth(html) > kMaxHtmlDepth) return too_deep();  // before gumbo: see html_depth.hpp
  // No parse-error list: nothing reads it, and gumbo copies its open-element stack into each.
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;
  std::unique_ptr<GumboOutput, OutputDeleter> out(
      gumbo_parse_with_options(&options, html.data(), html.size()));
  if (!out || !out->root) return fail(ErrorCode::kInvalidArgument, "HTML parser failed");
  if (html_tree_depth(out->root) > kMaxHtmlDepth) return too_deep();  // the walks below recurse
  Document doc;
  const GumboNode* root = out->root;
  if (const GumboNode* head = child(root, GUMBO_TAG_HEAD)) read_head(head, doc);
  if (const GumboNode* body = child(root, GUMBO_TAG_BODY)) {
    BodyWalker walker(doc);
    walker.visit(body);
    walker.flush();
  }
  // The input was valid UTF-8, but gumbo decodes a numeric character reference beyond
  // U+10FFFF (`&#x11eeeeee;`) into bytes that are not: repair what it produced. Found by
  // fuzz/html_loader.
  for (std::string* field : {&doc.title, &doc.description, &doc.published, &doc.url})
    *field = sanitize_utf8(*field);
  for (Block& block : doc.blocks) block.text = sanitize_utf8(block.text);
  return doc;
}

}  // namespace rag::ingest
