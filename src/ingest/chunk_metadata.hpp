// A chunk's metadata as `rag-server index` fills it (the keys of docs/migration.md; chunk_id is
// added by the store's reader, which numbers chunks densely): source and source_file (the same
// path), section and section_level, length, content_hash (SHA-256 hex of the text),
// citation_url, page_title, page_description, published (only when known), and the splitter's
// overlap. Also the path rules that feed them.
//
// Thread-safety: pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "ingest/document.hpp"
#include "ingest/splitter.hpp"
#include "store/chunk_metadata.hpp"

namespace rag::ingest {

// Lower-case hex SHA-256 (OpenSSL).
std::string sha256_hex(std::string_view data);

// `root`'s folder name joined with the file's path under it, '/'-separated:
// root "site/html", file "site/html/a/b.html" → "html/a/b.html".
std::string source_path(const std::filesystem::path& root, const std::filesystem::path& file);

// "/" + the path under `root` without extension; a file named index stands for its folder:
// docs/guide/index.md → "/guide", docs/config.md → "/config", docs/index.md → "/".
std::string citation_path(const std::filesystem::path& root, const std::filesystem::path& file);

// The title shown in citations: the document's title, else its first h1, else the file stem.
std::string page_title(const Document& doc, const std::filesystem::path& file);

struct ChunkContext {
  std::string source;        // source_path()
  std::string citation_url;  // doc.url when set, else citation_path()
  std::string page_title;
  const Document* doc = nullptr;
};

// The chunk's metadata, its overlap included (the store writes it, store/chunk_metadata.hpp).
store::ChunkMetadata chunk_metadata(const SplitChunk& chunk, const ChunkContext& ctx,
                                    std::string content_hash);

}  // namespace rag::ingest
