// Schema creation, versioning and meta access for the index database (see schema.hpp).
#include "store/schema.hpp"

#include <string>

namespace rag::store {

Result<void> create_schema(sql::Database& db) {
  auto r = db.exec(R"sql(
    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS documents(
      id INTEGER PRIMARY KEY,
      path TEXT NOT NULL UNIQUE,
      content_sha256 TEXT NOT NULL,
      mtime_ns INTEGER NOT NULL,
      size INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS chunks(
      id INTEGER PRIMARY KEY,
      document_id INTEGER NOT NULL REFERENCES documents(id),
      seq INTEGER NOT NULL,
      text TEXT NOT NULL,
      metadata TEXT NOT NULL,
      content_hash TEXT NOT NULL,
      embedding BLOB,
      embedding_model TEXT);
    CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id, seq);
    CREATE INDEX IF NOT EXISTS chunks_by_hash ON chunks(content_hash);
    INSERT OR IGNORE INTO meta(key, value) VALUES ('generation', '0');
  )sql");
  if (!r) return r;
  return write_meta(db, "schema_version", std::to_string(kSchemaVersion));
}

Result<int> read_schema_version(const sql::Database& db) {
  auto has = sql::Statement::prepare(
      db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
  if (!has) return std::unexpected(has.error());
  RAG_TRY(has->step());
  if (has->column_int64(0) == 0) return 0;
  auto v = read_meta(db, "schema_version");
  if (!v) return std::unexpected(v.error());
  try {
    return v->empty() ? 0 : std::stoi(*v);
  } catch (const std::exception&) {
    return fail(ErrorCode::kCorrupt, "index schema_version is not a number: " + *v);
  }
}

Result<void> drop_schema(sql::Database& db) {
  return db.exec(
      "DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS documents; DROP TABLE IF EXISTS meta;");
}

Result<std::string> read_meta(const sql::Database& db, std::string_view key) {
  auto st = sql::Statement::prepare(db, "SELECT value FROM meta WHERE key = ?1");
  if (!st) return std::unexpected(st.error());
  st->bind(1, key);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  return *row ? st->column_text(0) : std::string();
}

Result<void> write_meta(const sql::Database& db, std::string_view key, std::string_view value) {
  auto st = sql::Statement::prepare(
      db, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!st) return std::unexpected(st.error());
  st->bind(1, key).bind(2, value);
  return st->run();
}

}  // namespace rag::store
