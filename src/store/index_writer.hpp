// Write access to the index database for `rag-server index` (and `import-faiss`): documents
// with their chunks, embeddings, build metadata and build_info.json. Writes happen in batches,
// each one SQLite transaction in WAL mode, so a process killed at any point leaves the last
// committed batch as a consistent index and the next run resumes from there.
//
// Thread-safety: one IndexWriter per process, used by one thread at a time. Readers (the
// server) may read concurrently from other processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "store/chunk_metadata.hpp"

namespace rag::store {

struct DocumentRecord {
  std::string path;            // the chunk metadata's `source`; unique in the index
  std::string content_sha256;  // hex SHA-256 of the file's bytes
  std::int64_t mtime_ns = 0;
  std::int64_t size = 0;
};

struct DocumentState {
  DocumentRecord record;
  std::size_t chunk_count = 0;
};

struct NewChunk {
  std::string text;
  ChunkMetadata metadata;  // metadata.content_hash (SHA-256 of text) finds reusable vectors
};

struct ReplaceStats {
  std::size_t added = 0;              // chunks whose text was not in the old version
  std::size_t kept = 0;               // chunks whose text was unchanged
  std::size_t removed = 0;            // old chunks whose text is gone
  std::size_t embeddings_reused = 0;  // new rows that got an existing vector
};

struct PendingChunk {
  std::int64_t row_id = 0;
  std::string text;
};

struct BuildInfo {
  std::size_t total_documents = 0;
  std::size_t total_chunks = 0;
  int embedding_dimension = 0;
  std::string build_timestamp;
};

class IndexWriter {
 public:
  virtual ~IndexWriter() = default;

  // Creates VECTOR_DB_PATH and the database if needed. An index of another schema version
  // is dropped and rebuilt from scratch (logged): `index` is the migration command.
  static Result<std::unique_ptr<IndexWriter>> open(const std::filesystem::path& vector_db_path);

  virtual Result<std::optional<DocumentState>> find_document(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> document_paths() = 0;

  // Batches: every write below must happen between begin_batch() and commit_batch().
  // commit_batch() also bumps the generation. Destroying the writer mid-batch rolls back.
  virtual Result<void> begin_batch() = 0;
  virtual Result<void> commit_batch() = 0;
  // Rolls the open batch back (no-op without one).
  virtual void abort_batch() = 0;

  // Same content, new stat (mtime/size) after a touch.
  virtual Result<void> update_document_stat(const DocumentRecord& doc) = 0;
  // Inserts or replaces a document and all of its chunks (their metadata serialised by
  // ChunkMetadata::to_stored_json). A new chunk whose content_hash matches a stored chunk's that
  // has a vector gets that vector (preferring `model`).
  virtual Result<ReplaceStats> replace_document(const DocumentRecord& doc,
                                                const std::vector<NewChunk>& chunks,
                                                std::string_view model) = 0;
  // Returns the number of chunks removed with it.
  virtual Result<std::size_t> remove_document(const std::string& path) = 0;

  // Chunks with no vector from `model`, in row order.
  virtual Result<std::vector<PendingChunk>> chunks_needing_embedding(std::string_view model) = 0;
  // Stores vectors (own batch/transaction). kInvalidArgument when the dimension differs from
  // the one already recorded for `model`.
  virtual Result<void> store_embeddings(std::span<const std::int64_t> row_ids,
                                        std::span<const std::vector<float>> vectors,
                                        std::string_view model) = 0;

  // Records the build time, writes build_info.json, checkpoints the WAL and returns the
  // database to rollback-journal mode so the file alone is the index.
  virtual Result<BuildInfo> finish() = 0;
};

}  // namespace rag::store
