// The on-disk layout of an index (VECTOR_DB_PATH/index.sqlite), shared by the writer and the
// reader: its tables, the meta keys and the invariants every writer keeps are described in
// docs/INDEX-FORMAT.md (change it with kSchemaVersion). The two the code leans on most: a
// document and all of its chunks are written in one transaction, and the public chunk_id is
// the chunk's 0-based position in (path, seq) order, never its row id.
#pragma once

#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "store/sqlite.hpp"

namespace rag::store {

inline constexpr int kSchemaVersion = 1;
inline constexpr std::string_view kIndexFileName = "index.sqlite";
inline constexpr std::string_view kBuildInfoFileName = "build_info.json";
inline constexpr std::string_view kGraphFileName = "vectors.faiss";  // retrieval/stored_graph.hpp
inline constexpr std::string_view kVectorChangesFileName = "vectors-changes.idx";  // the same
inline constexpr std::string_view kLexicalFileName = "lexical.idx";  // retrieval/lexical_file.hpp
inline constexpr std::string_view kLexicalChangesFileName = "lexical-changes.idx";  // the same
inline constexpr std::string_view kRunLockFileName = "index.lock";  // store/run_lock.hpp
inline constexpr std::string_view kMigrateCommand = "rag-server index PATH...";

// Creates the tables if absent and records kSchemaVersion.
Result<void> create_schema(sql::Database& db);
// 0 when the database has no meta table (empty or foreign file).
Result<int> read_schema_version(const sql::Database& db);
// Drops every table of any version (the writer's migration: a full rebuild follows).
Result<void> drop_schema(sql::Database& db);

// Whether chunks has the overlap column (an index written before it was added has not).
Result<bool> has_overlap_column(const sql::Database& db);

// meta table access.
Result<std::string> read_meta(const sql::Database& db, std::string_view key);
// A meta value that counts something (schema_version, embedding_dimension): 0 when absent or
// empty, kCorrupt when it is not a whole number from 0 to INT_MAX.
Result<int> read_meta_int(const sql::Database& db, std::string_view key);
Result<void> write_meta(const sql::Database& db, std::string_view key, std::string_view value);

// The embeddings' bookkeeping reads the partial indexes chunks_unembedded and chunks_by_model,
// never the chunks themselves: a chunk with a vector spans two pages, so a scan of the table
// reads every vector (6 GB, ~5 s at a million chunks of 1,536 dimensions), where the indexes
// are a few megabytes (docs/INDEX-FORMAT.md). index_store_test checks both plans.
//
// The chunks without a vector of ?1 (none, or another model's), by row id: (id, text). For the
// writer, which creates the indexes (named: ordered by id, SQLite would rather scan the table).
inline constexpr const char* kChunksNeedingEmbeddingSql =
    "SELECT id, text FROM chunks INDEXED BY chunks_unembedded WHERE embedding IS NULL "
    "UNION ALL SELECT id, text FROM chunks INDEXED BY chunks_by_model "
    "WHERE embedding IS NOT NULL AND embedding_model IS NOT ?1 ORDER BY id";
// The chunks with a vector of ?1, counted.
inline constexpr const char* kCountEmbeddedSql =
    "SELECT count(*) FROM chunks WHERE embedding IS NOT NULL AND embedding_model = ?1";

// The chunks with a vector of `model`, counted (kCountEmbeddedSql); the writer records it in
// meta embedded_chunks for readers.
Result<std::size_t> count_embedded_chunks(const sql::Database& db, std::string_view model);
// meta embedded_chunks = "<content_generation> <count>": the count recorded for the current
// content (nullopt when none is: never recorded, or recorded for other content), and the
// writer's record of `count` for it.
Result<std::optional<std::size_t>> recorded_embedded_chunks(const sql::Database& db);
Result<void> record_embedded_chunks(const sql::Database& db, std::size_t count);

}  // namespace rag::store
