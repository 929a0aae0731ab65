// The on-disk layout of an index (VECTOR_DB_PATH/index.sqlite), shared by the writer and the
// reader. docs/ should carry the same description once the lead moves it there:
//
//   meta(key TEXT PRIMARY KEY, value TEXT)
//     schema_version, generation (bumped by every committed write), build_timestamp,
//     embedding_model, embedding_dimension
//   documents(id INTEGER PRIMARY KEY, path TEXT UNIQUE, content_sha256 TEXT,
//             mtime_ns INTEGER, size INTEGER)
//   chunks(id INTEGER PRIMARY KEY, document_id INTEGER REFERENCES documents, seq INTEGER,
//          text TEXT, metadata TEXT, content_hash TEXT, embedding BLOB NULL,
//          embedding_model TEXT NULL, overlap INTEGER NULL)
//
// metadata is the JSON object of chunk_metadata.hpp; overlap is ChunkMetadata::overlap, NULL where
// it is not known (an import, or a chunk written before the column was added: the writer adds it
// to an older index of the same version in place, the reader reads indexes without it).
//
// Invariants: a document row and all of its chunks are written in one transaction; a chunk's
// embedding blob is float32 little-endian of meta.embedding_dimension floats when its model is
// meta.embedding_model. The public chunk_id is the chunk's position in (path, seq) order, so it
// is 0-based and dense whatever the row ids are; metadata JSON is stored without chunk_id.
#pragma once

#include <string_view>

#include "common/result.hpp"
#include "store/sqlite.hpp"

namespace rag::store {

inline constexpr int kSchemaVersion = 1;
inline constexpr std::string_view kIndexFileName = "index.sqlite";
inline constexpr std::string_view kBuildInfoFileName = "build_info.json";
inline constexpr std::string_view kGraphFileName = "vectors.hnsw";  // retrieval/stored_graph.hpp
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
Result<void> write_meta(const sql::Database& db, std::string_view key, std::string_view value);

}  // namespace rag::store
