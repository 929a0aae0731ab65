// Schema creation, versioning and meta access for the index database (see schema.hpp).
#include "store/schema.hpp"

#include <charconv>
#include <string>

namespace rag::store {
namespace {

// The number a `SELECT count(*) ...` query returns.
Result<std::int64_t> select_count(const sql::Database& db, std::string_view query) {
  auto st = sql::Statement::prepare(db, query);
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  return st->column_int64(0);
}

}  // namespace

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
      embedding_model TEXT,
      overlap INTEGER);
    CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id, seq);
    CREATE INDEX IF NOT EXISTS chunks_by_hash ON chunks(content_hash);
    CREATE INDEX IF NOT EXISTS chunks_unembedded ON chunks(id) WHERE embedding IS NULL;
    CREATE INDEX IF NOT EXISTS chunks_by_model ON chunks(embedding_model)
      WHERE embedding IS NOT NULL;
    INSERT OR IGNORE INTO meta(key, value) VALUES ('generation', '0');
    INSERT OR IGNORE INTO meta(key, value) VALUES ('index_id', lower(hex(randomblob(8))));
    INSERT OR IGNORE INTO meta(key, value)
      SELECT 'content_generation', value FROM meta WHERE key = 'generation';
  )sql");
  if (!r) return r;
  auto overlap = has_overlap_column(db);
  if (!overlap) return std::unexpected(overlap.error());
  if (!*overlap) {
    r = db.exec("ALTER TABLE chunks ADD COLUMN overlap INTEGER");
    if (!r) return r;
  }
  return write_meta(db, "schema_version", std::to_string(kSchemaVersion));
}

Result<bool> has_overlap_column(const sql::Database& db) {
  auto n =
      select_count(db, "SELECT count(*) FROM pragma_table_info('chunks') WHERE name = 'overlap'");
  if (!n) return std::unexpected(n.error());
  return *n > 0;
}

Result<int> read_schema_version(const sql::Database& db) {
  auto has =
      select_count(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'");
  if (!has) return std::unexpected(has.error());
  if (*has == 0) return 0;
  return read_meta_int(db, "schema_version");
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

Result<int> read_meta_int(const sql::Database& db, std::string_view key) {
  auto v = read_meta(db, key);
  if (!v) return std::unexpected(v.error());
  if (v->empty()) return 0;
  int n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < 0)
    return fail(ErrorCode::kCorrupt,
                "index meta " + std::string(key) + " is not a whole number: '" + *v + "'");
  return n;
}

Result<void> write_meta(const sql::Database& db, std::string_view key, std::string_view value) {
  auto st = sql::Statement::prepare(
      db, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!st) return std::unexpected(st.error());
  st->bind(1, key).bind(2, value);
  return st->run();
}

Result<std::size_t> count_embedded_chunks(const sql::Database& db, std::string_view model) {
  auto st = sql::Statement::prepare(db, kCountEmbeddedSql);
  if (!st) return std::unexpected(st.error());
  st->bind(1, model);
  RAG_TRY(st->step());
  return static_cast<std::size_t>(st->column_int64(0));
}

Result<std::optional<std::size_t>> recorded_embedded_chunks(const sql::Database& db) {
  auto content = read_meta(db, "content_generation");
  if (!content) return std::unexpected(content.error());
  auto recorded = read_meta(db, "embedded_chunks");
  if (!recorded) return std::unexpected(recorded.error());
  const std::string prefix = *content + " ";
  if (content->empty() || !recorded->starts_with(prefix)) return std::nullopt;
  std::size_t count = 0;
  const char* first = recorded->data() + prefix.size();
  const char* last = recorded->data() + recorded->size();
  const auto [end, ec] = std::from_chars(first, last, count);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return count;
}

Result<void> record_embedded_chunks(const sql::Database& db, std::size_t count) {
  auto content = read_meta(db, "content_generation");
  if (!content) return std::unexpected(content.error());
  return write_meta(db, "embedded_chunks", *content + " " + std::to_string(count));
}

}  // namespace rag::store
