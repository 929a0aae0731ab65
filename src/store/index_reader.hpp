// Read-only access to an index built by `rag-server index` (or `import-faiss`): what the
// server loads into a retrieval snapshot. Opens VECTOR_DB_PATH/index.sqlite read-only, so
// the index may live on a read-only volume.
//
// Thread-safety: an IndexReader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/chunk_metadata.hpp"

namespace rag::store {

struct StoredChunk {
  std::int64_t chunk_id = 0;  // 0-based across the index (/search shows it in metadata)
  std::string text;
  ChunkMetadata metadata;        // overlap always known (never kUnknownOverlap)
  std::vector<float> embedding;  // empty when the chunk has no vector yet
};

struct IndexInfo {
  std::size_t documents = 0;
  std::size_t chunks = 0;
  std::size_t embedded_chunks = 0;
  int dimension = 0;            // 0 when lexical only
  std::string embedding_model;  // "" when lexical only
  std::string build_timestamp;  // ISO 8601
  int schema_version = 0;
};

// A document and the row ids of its chunks (`chunks.id`, not StoredChunk::chunk_id), in chunk
// order: what an incremental update of the lexical index file compares with the documents the
// file holds (retrieval/lexical_file.hpp). The writer changes a document's chunks only by
// replacing them all with rows of new ids, and never reuses an id (IndexWriter), so a document
// whose path, content hash and rows are unchanged has the same chunks.
struct DocumentLayout {
  std::string path;
  std::string content_sha256;
  std::vector<std::int64_t> rows;
};

class IndexReader {
 public:
  virtual ~IndexReader() = default;

  // kNotFound when there is no index; kCorrupt on a schema version mismatch (the message
  // names the command that migrates) or on an index a killed writer left half-written in a
  // folder this process cannot write (in a writable one, SQLite rolls it back first).
  static Result<std::unique_ptr<IndexReader>> open(const std::filesystem::path& vector_db_path);

  virtual Result<IndexInfo> info() const = 0;
  // What load_chunks reads: everything, or only ids and embeddings (texts empty, metadata
  // absent), for a snapshot whose lexical half comes from the lexical index file.
  enum class Columns { kEverything, kVectorsOnly };

  // Every chunk, ordered by chunk_id, its metadata parsed. Where the index does not record a
  // chunk's overlap (ChunkMetadata::kUnknownOverlap) it is found from the text instead: the
  // leading paragraphs that repeat the end of the previous chunk of the same document and
  // section (common/passage_overlap.hpp).
  virtual Result<std::vector<StoredChunk>> load_chunks(
      Columns columns = Columns::kEverything) const = 0;
  // The same chunks one at a time, in the same order, without holding them all (the indexer's
  // lexical index build over a million chunks). Stops at the first error `visit` returns.
  using ChunkVisitor = std::function<Result<void>(StoredChunk&&)>;
  virtual Result<void> visit_chunks(Columns columns, const ChunkVisitor& visit) const {
    auto chunks = load_chunks(columns);
    if (!chunks) return std::unexpected(chunks.error());
    for (auto& c : *chunks) RAG_TRY(visit(std::move(c)));
    return {};
  }
  // Every document with chunks, in chunk order (by path). Reads no chunk text: a covering
  // index scan. kNotFound when the reader cannot tell (then the lexical index file is rebuilt).
  virtual Result<std::vector<DocumentLayout>> layout() const {
    return fail(ErrorCode::kNotFound, "this index reader has no document layout");
  }
  // The chunks of the document at `path`, in order, as visit_chunks gives them except that
  // chunk_id counts from `first_chunk_id`.
  virtual Result<void> visit_document_chunks(const std::string& path, std::int64_t first_chunk_id,
                                             const ChunkVisitor& visit) const {
    (void)path, (void)first_chunk_id, (void)visit;
    return fail(ErrorCode::kNotFound, "this index reader cannot read one document");
  }
  // The embeddings of the chunks of these row ids (`chunks.id`) that have one of the index's
  // model and dimension, as (row id, vector) in the order given. One indexed read per row.
  using EmbeddingVisitor = std::function<Result<void>(std::int64_t, std::vector<float>&&)>;
  virtual Result<void> visit_embeddings(std::span<const std::int64_t> rows,
                                        const EmbeddingVisitor& visit) const {
    (void)rows, (void)visit;
    return fail(ErrorCode::kNotFound, "this index reader cannot read embeddings by row");
  }
  // Changes whenever the index's content changes (cheap: meant to be polled).
  virtual Result<std::string> generation() const = 0;
  // Changes whenever its documents, chunks or vectors change, but not when a run of
  // `rag-server index` changed nothing (unlike generation()); unique to this index's lifetime
  // (meta index_id). What files derived from the index, such as the lexical index file, are tied
  // to. An index written before these keys existed answers generation().
  virtual Result<std::string> content_generation() const { return generation(); }
};

}  // namespace rag::store
