// A chunk's metadata as typed fields: what `rag-server index` and `rag-server import-faiss` write
// and what the server answers with. The index keeps it as a JSON object in chunks.metadata
// (schema.hpp) with the keys of docs/migration.md in this order: source, length, content_hash,
// section, section_level, source_file, citation_url, page_title, page_description, published
// (only when known), then any other keys of an imported entry as they were. This file is the one
// place that writes or reads that object: the writers fill a ChunkMetadata, the reader parses
// each chunk's once (IndexReader::load_chunks), and /search shows it back (api_json()) with
// chunk_id first (the reader numbers chunks; it is not stored).
//
// Thread-safety: a value type; the functions are pure.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace rag::store {

struct ChunkMetadata {
  std::string source;         // the document's path: its root folder's name and the path under it
  std::int64_t length = 0;    // of the text, in code points
  std::string content_hash;   // lower-case hex SHA-256 of the text
  std::string section;        // heading text, or "Section N"
  std::string section_level;  // "h1".."h6", or "none" (the section has no heading)
  std::string source_file;    // the same as `source` for documents `rag-server index` read
  std::string citation_url;   // what a citation links to
  std::string page_title;
  std::string page_description;
  std::string published;  // "" when not known (the key is then not written)
  // Any other keys of the stored object (an import keeps the Python entry's own), as the compact
  // text of a JSON object in their order; "" when there are none. Opaque: only /search shows
  // them, after the keys above.
  std::string extra_json;
  // Which of the keys from `source` to `page_description` the stored object lacks (bit i for
  // the i-th of them): the writers write all of them, an object made by hand may not; an absent
  // key stays absent in /search while its field is empty (or 0).
  std::uint16_t absent_keys = 0;

  // Not part of the JSON (chunks.overlap, schema.hpp): how many leading bytes of the chunk's
  // text repeat the end of the previous chunk of its section, the splitter's overlap (whole
  // paragraphs and the blank line after them, docs/index.md); 0 for a section's first chunk.
  // kUnknownOverlap where nobody recorded it (chunks imported from the Python design, or
  // written before the column existed); the reader never hands that out.
  std::int32_t overlap = 0;
  static constexpr std::int32_t kUnknownOverlap = -1;

  // The text stored in chunks.metadata: compact, keys in the order above, invalid UTF-8
  // replaced by U+FFFD.
  std::string to_stored_json() const;

  // The object /search shows as a result's `metadata` (docs/api.md): {"chunk_id": id, then the
  // stored keys in their order}.
  nlohmann::ordered_json api_json(std::int64_t chunk_id) const;
  // The same as dump(-1, ' ', false, error_handler_t::replace) spells it, written directly (a
  // /search answer holds one per result) when there are no extra keys, through api_json()
  // when there are.
  std::string api_json_text(std::int64_t chunk_id) const;

  // Parses a stored object. A key of the wrong type (a number for `section`, a fraction for
  // `length`), an empty `published` or an unknown key is kept among the extras; a stored
  // `chunk_id` is dropped (the reader's numbering wins). Text that is not a JSON object gives
  // metadata with every key absent. The form to_stored_json() writes is read without building a
  // JSON value (a /search answer reads one per result); any other text through nlohmann.
  static ChunkMetadata parse(std::string_view stored_json);

  // Whether `key` is one of the typed keys, from `source` to `published`.
  static bool is_field(std::string_view key);

  // The section name the lexical index weighs: `section`, or "" when the section has no
  // heading (its "Section N" name is made up).
  std::string_view heading() const;

  bool operator==(const ChunkMetadata&) const = default;
};

}  // namespace rag::store
