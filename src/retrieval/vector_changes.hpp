// The changes to the stored IVF vector index since its base (VECTOR_DB_PATH/vectors.faiss):
// VECTOR_DB_PATH/vectors-changes.idx, which `rag-server index` writes instead of rewriting the
// base when a run changed few vectors, as lexical-changes.idx is to lexical.idx
// (docs/INDEX-FORMAT.md describes the bytes). At a million vectors of 1,536 dimensions the base
// is 1.6 GB: rewriting it took 26 s and the server's reading it 8 s, where the changes after a
// 1 % edit are ~15 MB, and the server keeps the base it has already read (stored_graph.hpp).
//
// The file holds what VectorIndex::with_changes applies (every base vector's new id or
// "removed", the added vectors' ids, lists and codes, encoded with the base's quantizers), the
// rows of the whole (as a whole index's file holds them), the stamp of the vectors it stands
// for, and the base it applies to: the base's stamp and its file's size. It is a section file
// (section_file.hpp: written atomically, checksummed, refused with kCorrupt when damaged);
// parse checks every size, and with_changes every id and list, so no bytes make a search read
// out of bounds (fuzz/vector_changes_fuzz.cpp).
//
// Thread-safety: the functions may run concurrently on different files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "retrieval/vector_index.hpp"

namespace rag::retrieval {

// VECTOR_DB_PATH/vectors-changes.idx
std::filesystem::path vector_changes_path(const std::filesystem::path& vector_db_path);

struct StoredVectorChanges {
  std::string stamp;  // of the vectors base and changes stand for (stored_graph.hpp)
  std::string base_stamp;
  std::uint64_t base_size = 0;  // bytes of the base's file
  std::string model;
  int dimension = 0;
  VectorChanges changes;
  std::vector<std::uint32_t> rows;  // of the whole, by id: as StoredVectors'
  std::vector<std::int64_t> row_ids;
};

// Writes `changes` to `file` atomically. kInvalidArgument when its sizes do not agree, kIo when
// it cannot be written.
Result<void> save_vector_changes(const StoredVectorChanges& changes,
                                 const std::filesystem::path& file);

// Reads and checks a file save_vector_changes wrote. kNotFound when there is none, kCorrupt
// when it is damaged or its sizes do not agree, kIo when unreadable.
Result<StoredVectorChanges> load_vector_changes(const std::filesystem::path& file);

// The checks of load over bytes in memory (the fuzz target's entry); `verify_checksum` false
// skips only the checksum. REQUIRES: bytes.data() is 8-byte aligned.
Result<StoredVectorChanges> parse_vector_changes(std::span<const std::byte> bytes,
                                                 bool verify_checksum);

// The stamp `file` was written for, from its head alone; "" when there is no readable file.
std::string saved_changes_stamp(const std::filesystem::path& file);

}  // namespace rag::retrieval
