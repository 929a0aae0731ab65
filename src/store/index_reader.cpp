// SQLite implementation of IndexReader: a read-only connection (`mode=ro`, plus `immutable=1`
// when the folder is not writable, so a read-only volume works) over the schema of schema.hpp.
// The one write it may cause is SQLite's own recovery of what a killed writer left (recover).
#include "store/index_reader.hpp"

#include <unistd.h>

#include <algorithm>

#include "common/passage_overlap.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace rag::store {
namespace {

class SqliteIndexReader final : public IndexReader {
 public:
  explicit SqliteIndexReader(sql::Database db) : db_(std::move(db)) {}

  Result<IndexInfo> info() const override {
    IndexInfo info;
    info.schema_version = kSchemaVersion;
    auto model = read_meta(db_, "embedding_model");
    auto dim = read_meta_int(db_, "embedding_dimension");
    if (!dim) return std::unexpected(dim.error());
    auto built = read_meta(db_, "build_timestamp");
    if (!model || !built) return fail(ErrorCode::kIo, "cannot read index meta");
    auto st = sql::Statement::prepare(
        db_, "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)");
    if (!st) return std::unexpected(st.error());
    RAG_TRY(st->step());
    info.documents = static_cast<std::size_t>(st->column_int64(0));
    info.chunks = static_cast<std::size_t>(st->column_int64(1));
    auto embedded = embedded_chunks(*model);
    if (!embedded) return std::unexpected(embedded.error());
    info.embedded_chunks = *embedded;
    if (info.embedded_chunks > 0) {
      info.embedding_model = *model;
      info.dimension = *dim;
    }
    info.build_timestamp = *built;
    return info;
  }

  // The count the writer recorded for the current content (IndexWriter::finish), else counted
  // here, which reads every row's vector: seconds at a million chunks.
  Result<std::size_t> embedded_chunks(const std::string& model) const {
    auto recorded = recorded_embedded_chunks(db_);
    if (!recorded) return std::unexpected(recorded.error());
    if (*recorded) return **recorded;
    return count_embedded_chunks(db_, model);
  }

  Result<void> visit_chunks(Columns columns, const ChunkVisitor& visit) const override {
    return visit_rows(columns, "", 0, visit);
  }

  Result<void> visit_document_chunks(const std::string& path, std::int64_t first_chunk_id,
                                     const ChunkVisitor& visit) const override {
    return visit_rows(Columns::kEverything, path, first_chunk_id, visit);
  }

  Result<void> visit_embeddings(std::span<const std::int64_t> rows,
                                const EmbeddingVisitor& visit) const override {
    auto model = read_meta(db_, "embedding_model");
    auto dim = read_meta_int(db_, "embedding_dimension");
    if (!dim) return std::unexpected(dim.error());
    if (!model) return fail(ErrorCode::kIo, "cannot read index meta");
    auto st = sql::Statement::prepare(
        db_,
        "SELECT embedding FROM chunks WHERE id = ?1 AND embedding IS NOT NULL AND "
        "embedding_model = ?2");
    if (!st) return std::unexpected(st.error());
    for (const auto row : rows) {
      st->bind(1, row).bind(2, *model);
      auto found = st->step();
      if (!found) return std::unexpected(found.error());
      if (*found) {
        auto floats = st->column_floats(0);
        if (!floats) return std::unexpected(floats.error());
        if (floats->size() == static_cast<std::size_t>(*dim)) {
          st->reset();
          RAG_TRY(visit(row, std::move(*floats)));
          continue;
        }
      }
      st->reset();
    }
    return {};
  }

  Result<std::vector<DocumentLayout>> layout() const override {
    // documents by its unique path index, chunks by chunks_by_document (document_id, seq),
    // which holds the row id: no chunk row is read.
    auto st =
        sql::Statement::prepare(db_,
                                "SELECT d.path, d.content_sha256, c.id FROM documents d "
                                "JOIN chunks c ON c.document_id = d.id ORDER BY d.path, c.seq");
    if (!st) return std::unexpected(st.error());
    std::vector<DocumentLayout> out;
    for (;;) {
      auto row = st->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      auto path = st->column_text(0);
      if (out.empty() || out.back().path != path) {
        out.push_back({std::move(path), st->column_text(1), {}});
      }
      out.back().rows.push_back(st->column_int64(2));
    }
    return out;
  }

  Result<std::vector<StoredChunk>> load_chunks(Columns columns) const override {
    std::vector<StoredChunk> out;
    RAG_TRY(visit_chunks(columns, [&out](StoredChunk&& c) -> Result<void> {
      out.push_back(std::move(c));
      return {};
    }));
    return out;
  }

  Result<std::string> generation() const override {
    auto gen = read_meta(db_, "generation");
    if (!gen) return std::unexpected(gen.error());
    auto built = read_meta(db_, "build_timestamp");
    if (!built) return std::unexpected(built.error());
    return *gen + "@" + *built;
  }

  Result<std::string> content_generation() const override {
    auto id = read_meta(db_, "index_id");
    if (!id) return std::unexpected(id.error());
    auto content = read_meta(db_, "content_generation");
    if (!content) return std::unexpected(content.error());
    if (id->empty() || content->empty()) return generation();
    return *id + ":" + *content;
  }

 private:
  // The recorded overlap, kept within the text; else (not recorded) the paragraphs that repeat
  // the end of `prev`, the previous chunk of the same document, when it is of the same section.
  static std::int32_t overlap_of(const StoredChunk& c, const StoredChunk* prev, bool unknown,
                                 std::int64_t recorded) {
    const auto size = static_cast<std::int64_t>(c.text.size());
    if (!unknown) return static_cast<std::int32_t>(std::clamp<std::int64_t>(recorded, 0, size));
    if (prev == nullptr || prev->metadata.section != c.metadata.section) return 0;
    return static_cast<std::int32_t>(overlap_length(prev->text, c.text));
  }

  // visit_chunks' rows: every chunk (`path` empty) or one document's, numbered from
  // `first_chunk_id`.
  Result<void> visit_rows(Columns columns, const std::string& path, std::int64_t first_chunk_id,
                          const ChunkVisitor& visit) const {
    auto model = read_meta(db_, "embedding_model");
    auto dim_meta = read_meta_int(db_, "embedding_dimension");
    if (!dim_meta) return std::unexpected(dim_meta.error());
    if (!model) return fail(ErrorCode::kIo, "cannot read index meta");
    auto has_overlap = has_overlap_column(db_);
    if (!has_overlap) return std::unexpected(has_overlap.error());
    const auto dim = static_cast<std::size_t>(*dim_meta);
    auto st = sql::Statement::prepare(
        db_, std::string(columns == Columns::kVectorsOnly ? "SELECT '', '', "
                                                          : "SELECT c.text, c.metadata, ") +
                 "c.embedding, c.embedding_model, c.document_id, " +
                 (*has_overlap && columns == Columns::kEverything ? "c.overlap" : "NULL") +
                 " FROM chunks c JOIN documents d ON d.id = c.document_id " +
                 (path.empty() ? "" : "WHERE d.path = ?1 ") + "ORDER BY d.path, c.seq");
    if (!st) return std::unexpected(st.error());
    if (!path.empty()) st->bind(1, path);
    std::int64_t next_id = first_chunk_id;
    std::int64_t prev_document = -1;
    StoredChunk prev;  // its text and section only, for the overlap of the next
    for (;;) {
      auto row = st->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      StoredChunk c;
      c.chunk_id = next_id++;
      c.text = st->column_text(0);
      c.metadata = ChunkMetadata::parse(st->column_text(1));
      if (!st->column_is_null(2) && st->column_text(3) == *model) {
        auto floats = st->column_floats(2);
        if (!floats) return std::unexpected(floats.error());
        if (floats->size() == dim) c.embedding = std::move(*floats);
      }
      const std::int64_t document = st->column_int64(4);
      c.metadata.overlap = overlap_of(c, document == prev_document ? &prev : nullptr,
                                      st->column_is_null(5), st->column_int64(5));
      prev_document = document;
      prev.text = c.text;
      prev.metadata.section = c.metadata.section;
      RAG_TRY(visit(std::move(c)));
    }
    return {};
  }

  sql::Database db_;
};

// `mode=ro`, plus `immutable=1` where the folder cannot be written (no lock files either).
Result<sql::Database> open_read_only(const std::filesystem::path& file, bool writable) {
  return sql::Database::open(
      sql::file_uri(file.string(), writable ? "mode=ro" : "mode=ro&immutable=1"),
      SQLITE_OPEN_READONLY);
}

// A writer killed inside a rollback-journal write (`rag-server index` switches the journal
// mode at its start and end) leaves a hot journal, which a read-only connection cannot roll
// back: SQLite answers SQLITE_READONLY_ROLLBACK (or _RECOVERY, for a WAL index to rebuild).
// A read-write connection does it on its first read, under SQLite's locks, so a running
// indexer is never disturbed.
Result<void> recover(const std::filesystem::path& file) {
  auto db = sql::Database::open(sql::file_uri(file.string(), ""), SQLITE_OPEN_READWRITE);
  if (!db) return std::unexpected(db.error());
  auto version = read_schema_version(*db);
  if (!version) return std::unexpected(version.error());
  return {};
}

// Whether `db`'s last error is one of SQLite's SQLITE_READONLY codes: a read needed a write.
bool needs_write_access(const sql::Database& db) {
  return (sqlite3_extended_errcode(db.get()) & 0xff) == SQLITE_READONLY;
}

// Whether a killed writer left a rollback journal beside `file`. `rag-server index` deletes it
// at each commit, so one that is there holds the pages of a transaction that never finished.
bool left_half_written(const std::filesystem::path& file) {
  std::error_code ec;
  auto journal = std::filesystem::file_size(std::filesystem::path(file) += "-journal", ec);
  return !ec && journal > 0;
}

}  // namespace

Result<std::unique_ptr<IndexReader>> IndexReader::open(const std::filesystem::path& dir) {
  std::error_code ec;
  auto file = std::filesystem::absolute(dir, ec) / std::string(kIndexFileName);
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(ErrorCode::kNotFound, "no index at " + file.string() + "; build one with `" +
                                          std::string(kMigrateCommand) + "`");
  }
  const bool writable = ::access(file.parent_path().c_str(), W_OK) == 0;
  if (!writable && left_half_written(file)) {
    // `immutable=1` would read the torn file as it is; nothing here may roll it back.
    return fail(ErrorCode::kCorrupt, "index at " + file.string() +
                                         " was left half-written by a killed indexer and its "
                                         "folder is read-only; re-run `" +
                                         std::string(kMigrateCommand) + "` where it can write");
  }
  auto db = open_read_only(file, writable);
  if (!db) return std::unexpected(db.error());
  auto version = read_schema_version(*db);
  if (!version && writable && needs_write_access(*db)) {
    RAG_TRY(recover(file));
    db = open_read_only(file, writable);
    if (!db) return std::unexpected(db.error());
    version = read_schema_version(*db);
  }
  if (!version) return std::unexpected(version.error());
  if (*version != kSchemaVersion) {
    return fail(ErrorCode::kCorrupt,
                "index at " + file.string() + " has schema version " + std::to_string(*version) +
                    ", this build reads version " + std::to_string(kSchemaVersion) +
                    "; migrate it by re-running `" + std::string(kMigrateCommand) + "`");
  }
  return std::unique_ptr<IndexReader>(new SqliteIndexReader(std::move(*db)));
}

}  // namespace rag::store
