// The Python design's metadata.json and build_info.json, mapped onto this project's index.
//
// Each metadata.json entry becomes one chunk whose metadata has the metadata keys of
// docs/migration.md in the order `rag-server index` writes them — source, length, content_hash,
// section, section_level, source_file, citation_url, page_title, page_description, published (only
// when known) — followed by any other keys of the entry, unchanged. chunk_id is dropped (the store
// numbers chunks itself). length (code points) and content_hash (SHA-256 of the text) are
// recomputed from the text, so a later `rag-server index` run recognises unchanged chunks and keeps
// their imported vectors. Fallbacks for entries that lack a key: source ← source_file ← "imported";
// citation_url ← url ← "/" + source without extension; page_title ← title ← the file stem;
// page_description ← description ← ""; section ← ""; section_level ← "none". Chunks are grouped
// into documents by source (first appearance order); a document's chunks keep their order in the
// Python lists. The Python design recorded no overlap between chunks: it is left unknown
// (store::ChunkMetadata::kUnknownOverlap), for the index reader to find from the text.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "ingest/chunk_metadata.hpp"
#include "store/index_writer.hpp"

namespace rag::migrate {

struct ImportedDocument {
  // path = source; content_sha256, mtime_ns and size are empty/0: the source file was never
  // seen, so the next `rag-server index` over it re-reads it (and reuses the vectors of the
  // chunks whose text did not change).
  store::DocumentRecord record;
  std::vector<store::NewChunk> chunks;
  std::vector<std::size_t> positions;  // each chunk's index in the Python lists (= FAISS id)
};

// `metadata_json` is the text of metadata.json (a JSON array of objects), `texts` the list
// read from documents.pkl. kInvalidArgument when the counts differ or an entry is not an object;
// kCorrupt when the JSON does not parse.
Result<std::vector<ImportedDocument>> map_python_chunks(std::string_view metadata_json,
                                                        const std::vector<std::string>& texts);

struct PythonBuildInfo {
  std::optional<int> embedding_dimension;
  std::optional<std::size_t> total_chunks;
  std::string embedding_model;  // "" unless the file names one (embedding_model, model, ...)
  std::string build_timestamp;
};

// kCorrupt when it is not a JSON object; every field is optional.
Result<PythonBuildInfo> parse_python_build_info(std::string_view json);

// Content hashes are computed exactly as `rag-server index` does, so a later index run
// recognises imported chunks and keeps their vectors.
using ingest::sha256_hex;

}  // namespace rag::migrate
