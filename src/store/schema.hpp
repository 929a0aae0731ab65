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

// The chunks with a vector of `model`, counted: reads every row, vectors and all (seconds at a
// million chunks), so the writer records it in meta embedded_chunks for readers.
Result<std::size_t> count_embedded_chunks(const sql::Database& db, std::string_view model);
// meta embedded_chunks = "<content_generation> <count>": the count recorded for the current
// content (nullopt when none is: never recorded, or recorded for other content), and the
// writer's record of `count` for it.
Result<std::optional<std::size_t>> recorded_embedded_chunks(const sql::Database& db);
Result<void> record_embedded_chunks(const sql::Database& db, std::size_t count);

}  // namespace rag::store
