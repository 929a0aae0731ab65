// The lexical index file (VECTOR_DB_PATH/lexical.idx): a LexicalIndex written by
// `rag-server index` and memory-mapped by the server, so that starting or reloading costs a
// checksum pass instead of reading and tokenizing every chunk (docs/INDEX-FORMAT.md describes
// the bytes). Like the stored HNSW graph it is derived from index.sqlite and tied to it: the file
// names the content generation (IndexReader::content_generation) it was written for, and the
// server uses it only for that one; otherwise it builds the lexical index in memory as before.
// A run of `rag-server index` that changed nothing keeps the file.
//
// Written atomically (a temporary file, fsync, rename), so a reader sees the old file or the new
// one, never half of one. Read defensively: a file that is truncated, of another version, fails
// its checksum or is not well formed is refused with kCorrupt and never searched; the structure
// checks alone keep any bytes from making a search read out of bounds (fuzz/lexical_file_fuzz).
//
// Thread-safety: the functions may run concurrently on different files; one writer per folder.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "retrieval/lexical_index.hpp"

namespace rag::retrieval {

// VECTOR_DB_PATH/lexical.idx
std::filesystem::path lexical_index_path(const std::filesystem::path& vector_db_path);

// Writes `index` for the content generation `generation`. kIo when it cannot.
Result<void> save_lexical_index(const LexicalIndex& index, std::string_view generation,
                                const std::filesystem::path& file);

// The generation the file was written for, from its header alone; "" when there is no readable
// header. Cheap: for the indexer's "is it up to date?".
std::string saved_lexical_generation(const std::filesystem::path& file);
// The same from the file's first bytes (`head`) and its size.
std::string saved_lexical_generation(std::span<const std::byte> head, std::uint64_t file_size);

// Maps the file and checks it. kNotFound when absent or written for another generation (the
// message says which), kCorrupt when damaged, kIo when it cannot be read.
Result<LexicalIndex> load_lexical_index(const std::filesystem::path& file,
                                        std::string_view generation);

// The checks and views of load_lexical_index over bytes already in memory, which `keep_alive`
// holds; the fuzz target's entry. `verify_checksum` false skips only the checksum.
// REQUIRES: bytes.data() is 8-byte aligned.
Result<LexicalIndex> parse_lexical_index(std::span<const std::byte> bytes,
                                         std::string_view generation, bool verify_checksum,
                                         std::shared_ptr<const void> keep_alive);

// The indexer's side: brings the file in line with index.sqlite in `vector_db_path` (a run that
// changed nothing keeps it). Errors: the index cannot be read (store::IndexReader::open), the
// file cannot be written (kIo).
struct LexicalUpdate {
  bool written = false;  // false: it was up to date
  std::size_t chunks = 0;
  double seconds = 0;
};
Result<LexicalUpdate> update_lexical_index(const std::filesystem::path& vector_db_path);

}  // namespace rag::retrieval
