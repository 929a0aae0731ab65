// The lexical index files in VECTOR_DB_PATH: a LexicalIndex written by `rag-server index` and
// memory-mapped by the server, so that starting or reloading costs verifying its small sections
// (its postings and texts are verified as searches first read them: LexicalCheck) instead of
// reading and tokenizing every chunk (docs/INDEX-FORMAT.md describes the bytes).
//
// - `lexical.idx`, the base: every chunk of the index as it was at a full build, and the
//   documents they came from (path, content hash, chunk rows: store::DocumentLayout).
// - `lexical-changes.idx`, the changes since the base (LexicalIndex::combine): what an
//   incremental update writes when a run of `rag-server index` changed a few documents, in
//   seconds at a million chunks where a full build takes minutes.
//
// Like the stored vector index they are derived from index.sqlite and tied to it: each file
// names the content generation (IndexReader::content_generation) it was written for, and the
// changes file the base it applies to (by its checksum). The server uses the base alone when it
// was written for the index's generation, the base and the changes when they were, and
// otherwise builds the lexical index in memory as before. A run that changed nothing keeps both.
//
// Both are section files (section_file.hpp): written atomically, refused with kCorrupt when
// truncated, of another version, failing their checksum or not well formed; the structure
// checks alone keep any bytes from making a search read out of bounds (fuzz/lexical_file_fuzz).
//
// Thread-safety: the functions may run concurrently on different folders; one writer per folder.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "retrieval/lexical_index.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval {

// VECTOR_DB_PATH/lexical.idx and VECTOR_DB_PATH/lexical-changes.idx
std::filesystem::path lexical_index_path(const std::filesystem::path& vector_db_path);
std::filesystem::path lexical_changes_path(const std::filesystem::path& vector_db_path);

// Writes `index` (one segment) as the base for the content generation `generation`;
// `documents` are the documents of its chunks, in order. kIo when it cannot.
Result<void> save_lexical_index(const LexicalIndex& index, std::string_view generation,
                                std::span<const store::DocumentLayout> documents,
                                const std::filesystem::path& file);

// The generation the base file was written for, from its header alone; "" when there is no
// readable header. Cheap: for the indexer's "is it up to date?".
std::string saved_lexical_generation(const std::filesystem::path& file);
// The same from the file's first bytes (`head`) and its size.
std::string saved_lexical_generation(std::span<const std::byte> head, std::uint64_t file_size);

// The base last mapped by load_lexical_index, reused while the file is the same one
// (section_file::FileIdentity), so that a reload after an incremental update reads the changes
// file only, not the base's gigabytes again. Not thread-safe: one per LiveIndex, under its lock.
struct LexicalBaseCache {
  std::shared_ptr<const void> sections;  // section_file::Sections of the base, or null
};

// How much of the base load_lexical_index verifies before it returns. kLazily: everything but
// its postings and strings, whose pieces are verified when a search or a result first reads
// them (LexicalIndex::intact), so that the first answer of a server started on a cold disk
// does not wait for gigabytes to be read (docs/INDEX-FORMAT.md). kWhole: every byte, as after
// a lazily read piece failed.
enum class LexicalCheck { kLazily, kWhole };

// The lexical index of content generation `generation`: the base `file` alone when written for
// it, else combined with the changes file beside it when that was written for it and this base.
// Checks what it maps (the base once while `cache` holds it, unless kWhole is asked of a base
// mapped lazily). kNotFound when neither file is for `generation` (the message says why),
// kCorrupt when one is damaged, kIo when unreadable.
Result<LexicalIndex> load_lexical_index(const std::filesystem::path& file,
                                        std::string_view generation,
                                        LexicalBaseCache* cache = nullptr,
                                        LexicalCheck check = LexicalCheck::kWhole);

// The checks and views of the loaders over bytes already in memory, which `keep_alive` holds;
// the fuzz target's entries. `verify_checksum` false skips only the checksum.
// REQUIRES: bytes.data() is 8-byte aligned.
Result<LexicalIndex> parse_lexical_index(std::span<const std::byte> bytes,
                                         std::string_view generation, bool verify_checksum,
                                         std::shared_ptr<const void> keep_alive);
// A base as the incremental update reads it: the index, its documents and its checksum.
struct LexicalBase {
  LexicalIndex index;
  std::vector<store::DocumentLayout> documents;
  std::string generation;
  std::uint64_t checksum = 0;
};
// The base file mapped and checked, for the incremental update.
Result<LexicalBase> load_lexical_base(const std::filesystem::path& file);
Result<LexicalBase> parse_lexical_base(std::span<const std::byte> bytes, bool verify_checksum,
                                       std::shared_ptr<const void> keep_alive);
// The base `base` (of checksum `base_checksum`) combined with changes file bytes.
Result<LexicalIndex> parse_lexical_changes(LexicalIndex base, std::uint64_t base_checksum,
                                           std::span<const std::byte> bytes,
                                           std::string_view generation, bool verify_checksum,
                                           std::shared_ptr<const void> keep_alive);

// The indexer's side: brings the files in line with index.sqlite in `vector_db_path` (a run
// that changed nothing keeps them): the changes file when the documents changed since the base
// are under a tenth of the chunks, else a new base (lexical_update.cpp). Errors: the index
// cannot be read (store::IndexReader::open), a file cannot be written (kIo).
struct LexicalUpdate {
  bool written = false;      // false: it was up to date
  bool incremental = false;  // the changes file was written, not the base
  std::size_t chunks = 0;
  std::size_t added = 0;    // incremental: chunks added since the base
  std::size_t removed = 0;  // incremental: base chunks removed
  double seconds = 0;
};
Result<LexicalUpdate> update_lexical_index(const std::filesystem::path& vector_db_path);

}  // namespace rag::retrieval
