// Markdown / MDX loader over md4c: YAML front matter (yaml-cpp) gives the metadata; MDX's
// import/export statements and JSX-only lines are removed before parsing (see mdx_strip);
// inline HTML/JSX tags are dropped, link and image text kept; lists become one paragraph of
// items (one per line); fenced and indented code become code blocks.
#include <md4c.h>
#include <yaml-cpp/yaml.h>

#include "ingest/loaders.hpp"
#include "ingest/markdown_prep.hpp"
#include "ingest/text_util.hpp"

namespace rag::ingest {
namespace {

class Md4cBuilder {
 public:
  explicit Md4cBuilder(Document& doc) : doc_(doc) {}

  int enter(MD_BLOCKTYPE type, void* detail) {
    switch (type) {
      case MD_BLOCK_H:
        buf_.clear();
        level_ = static_cast<int>(static_cast<MD_BLOCK_H_DETAIL*>(detail)->level);
        break;
      case MD_BLOCK_P:
        if (list_depth_ == 0) buf_.clear();
        break;
      case MD_BLOCK_CODE:
        buf_.clear();
        in_code_ = true;
        break;
      case MD_BLOCK_HTML: ++html_depth_; break;
      case MD_BLOCK_UL:
      case MD_BLOCK_OL:
        if (list_depth_++ == 0) items_.clear();
        break;
      case MD_BLOCK_LI: push_item(); break;
      default: break;
    }
    return 0;
  }

  int leave(MD_BLOCKTYPE type) {
    switch (type) {
      case MD_BLOCK_H: add(Block::Kind::kHeading, level_, collapse_whitespace(buf_)); break;
      case MD_BLOCK_P:
        if (list_depth_ == 0) add(Block::Kind::kParagraph, 0, collapse_whitespace(buf_));
        else buf_ += ' ';
        break;
      case MD_BLOCK_CODE:
        in_code_ = false;
        add(Block::Kind::kCode, 0, std::string(trim(buf_)));
        buf_.clear();
        break;
      case MD_BLOCK_HTML: --html_depth_; break;
      case MD_BLOCK_LI: push_item(); break;
      case MD_BLOCK_UL:
      case MD_BLOCK_OL:
        if (--list_depth_ == 0) {
          push_item();
          add(Block::Kind::kParagraph, 0, std::move(items_));
          items_.clear();
        }
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD: buf_ += ' '; break;
      case MD_BLOCK_TR:
        if (list_depth_ == 0) {
          add(Block::Kind::kParagraph, 0, collapse_whitespace(buf_));
          buf_.clear();
        }
        break;
      default: break;
    }
    return 0;
  }

  int text(MD_TEXTTYPE type, std::string_view t) {
    if (html_depth_ > 0) return 0;
    switch (type) {
      case MD_TEXT_HTML: break;  // inline HTML / JSX tags
      case MD_TEXT_NULLCHAR: break;
      case MD_TEXT_ENTITY: buf_ += decode_entity(t); break;
      case MD_TEXT_BR:
      case MD_TEXT_SOFTBR: buf_ += '\n'; break;
      default: buf_.append(t); break;
    }
    return 0;
  }

 private:
  void push_item() {
    std::string item = collapse_whitespace(buf_);
    buf_.clear();
    if (item.empty()) return;
    if (!items_.empty()) items_ += '\n';
    items_ += item;
  }
  void add(Block::Kind kind, int level, std::string text) {
    if (!text.empty()) doc_.blocks.push_back({kind, level, std::move(text)});
    if (kind != Block::Kind::kParagraph || list_depth_ == 0) buf_.clear();
  }

  Document& doc_;
  std::string buf_;
  std::string items_;
  int level_ = 0;
  int list_depth_ = 0;
  int html_depth_ = 0;
  bool in_code_ = false;
};

std::string scalar(const YAML::Node& root, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    YAML::Node n = root[k];
    if (n && n.IsScalar()) return collapse_whitespace(n.as<std::string>());
  }
  return {};
}

Result<void> read_front_matter(std::string_view yaml, Document& doc) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (!root || root.IsNull()) return {};
    if (!root.IsMap()) return fail(ErrorCode::kInvalidArgument, "front matter is not a mapping");
    doc.title = scalar(root, {"title"});
    doc.description = scalar(root, {"description", "summary"});
    doc.published = scalar(root, {"published", "date"});
    doc.url = scalar(root, {"url", "permalink"});
    return {};
  } catch (const YAML::Exception& e) {
    return fail(ErrorCode::kInvalidArgument, std::string("malformed front matter: ") + e.what());
  }
}

}  // namespace

Result<Document> load_markdown(std::string_view bytes, bool mdx) {
  std::string text = sanitize_utf8(bytes);
  Document doc;
  auto split = split_front_matter(text);
  if (!split) return std::unexpected(split.error());
  if (!split->front_matter.empty()) {
    RAG_TRY(read_front_matter(split->front_matter, doc));
  }
  std::string body = mdx ? strip_mdx(split->body) : std::string(split->body);

  Md4cBuilder builder(doc);
  MD_PARSER parser{};
  parser.abi_version = 0;
  parser.flags = MD_DIALECT_GITHUB;
  parser.enter_block = [](MD_BLOCKTYPE t, void* d, void* u) {
    return static_cast<Md4cBuilder*>(u)->enter(t, d);
  };
  parser.leave_block = [](MD_BLOCKTYPE t, void*, void* u) {
    return static_cast<Md4cBuilder*>(u)->leave(t);
  };
  parser.enter_span = [](MD_SPANTYPE, void*, void*) { return 0; };
  parser.leave_span = [](MD_SPANTYPE, void*, void*) { return 0; };
  parser.text = [](MD_TEXTTYPE t, const MD_CHAR* s, MD_SIZE n, void* u) {
    return static_cast<Md4cBuilder*>(u)->text(t, std::string_view(s, n));
  };
  if (md_parse(body.data(), static_cast<MD_SIZE>(body.size()), &parser, &builder) != 0) {
    return fail(ErrorCode::kInvalidArgument, "markdown parser failed");
  }
  return doc;
}

}  // namespace rag::ingest
