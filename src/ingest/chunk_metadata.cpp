// Chunk metadata and path rules (see chunk_metadata.hpp).
#include "ingest/chunk_metadata.hpp"

#include <openssl/evp.h>

#include "ingest/text_util.hpp"

namespace rag::ingest {

namespace fs = std::filesystem;

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string source_path(const fs::path& root, const fs::path& file) {
  fs::path rel = file.lexically_relative(root);
  if (rel.empty() || rel.native().starts_with("..")) rel = file.filename();
  fs::path name = root.lexically_normal().filename();
  if (name.empty()) name = root.lexically_normal().parent_path().filename();  // "docs/"
  if (name.empty() || name == "." || name == "..") return rel.generic_string();
  return (name / rel).generic_string();
}

std::string citation_path(const fs::path& root, const fs::path& file) {
  fs::path rel = file.lexically_relative(root);
  if (rel.empty() || rel.native().starts_with("..")) rel = file.filename();
  fs::path no_ext = rel.parent_path() / rel.stem();
  if (rel.stem() == "index") no_ext = rel.parent_path();
  std::string out = "/" + no_ext.generic_string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string page_title(const Document& doc, const fs::path& file) {
  if (!doc.title.empty()) return doc.title;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kHeading && b.level == 1) return b.text;
  }
  return sanitize_utf8(file.stem().string());
}

store::ChunkMetadata chunk_metadata(const SplitChunk& chunk, const ChunkContext& ctx,
                                    std::string content_hash) {
  store::ChunkMetadata m;
  m.source = ctx.source;
  m.length = static_cast<std::int64_t>(utf8_length(chunk.text));
  m.content_hash = std::move(content_hash);
  m.section = chunk.section;
  m.section_level = chunk.section_level;
  m.source_file = ctx.source;
  m.citation_url = ctx.citation_url;
  m.page_title = ctx.page_title;
  if (ctx.doc) m.page_description = ctx.doc->description;
  if (ctx.doc) m.published = ctx.doc->published;
  m.overlap = static_cast<std::int32_t>(chunk.overlap);
  return m;
}

}  // namespace rag::ingest
