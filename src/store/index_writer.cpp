// SQLite implementation of IndexWriter (see index_writer.hpp and schema.hpp).
#include "store/index_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "common/timestamp.hpp"
#include "store/build_info.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

namespace rag::store {
namespace {

class SqliteIndexWriter final : public IndexWriter {
 public:
  SqliteIndexWriter(sql::Database db, std::filesystem::path dir)
      : db_(std::move(db)), dir_(std::move(dir)) {}

  Result<std::optional<DocumentState>> find_document(const std::string& path) override {
    auto st = sql::Statement::prepare(
        db_, "SELECT d.content_sha256, d.mtime_ns, d.size, "
             "(SELECT count(*) FROM chunks c WHERE c.document_id = d.id) "
             "FROM documents d WHERE d.path = ?1");
    if (!st) return std::unexpected(st.error());
    st->bind(1, path);
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<DocumentState>{};
    DocumentState s;
    s.record = {path, st->column_text(0), st->column_int64(1), st->column_int64(2)};
    s.chunk_count = static_cast<std::size_t>(st->column_int64(3));
    return std::optional<DocumentState>(std::move(s));
  }

  Result<std::vector<std::string>> document_paths() override {
    auto st = sql::Statement::prepare(db_, "SELECT path FROM documents ORDER BY path");
    if (!st) return std::unexpected(st.error());
    std::vector<std::string> out;
    for (;;) {
      auto row = st->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back(st->column_text(0));
    }
    return out;
  }

  Result<void> begin_batch() override {
    if (txn_) return fail(ErrorCode::kInternal, "batch already open");
    auto t = sql::Transaction::begin(db_);
    if (!t) return std::unexpected(t.error());
    txn_.emplace(std::move(*t));
    return {};
  }

  Result<void> commit_batch() override { return commit(Change::kContent); }

  void abort_batch() override { txn_.reset(); }

  Result<void> update_document_stat(const DocumentRecord& doc) override {
    RAG_TRY(require_batch());
    auto st = sql::Statement::prepare(
        db_, "UPDATE documents SET mtime_ns = ?2, size = ?3 WHERE path = ?1");
    if (!st) return std::unexpected(st.error());
    st->bind(1, doc.path).bind(2, doc.mtime_ns).bind(3, doc.size);
    return st->run();
  }

  Result<ReplaceStats> replace_document(const DocumentRecord& doc,
                                        const std::vector<NewChunk>& chunks,
                                        std::string_view model) override;

  Result<std::size_t> remove_document(const std::string& path) override {
    RAG_TRY(require_batch());
    auto found = find_document(path);
    if (!found) return std::unexpected(found.error());
    if (!*found) return 0;
    auto st = sql::Statement::prepare(
        db_, "DELETE FROM chunks WHERE document_id = (SELECT id FROM documents WHERE path=?1)");
    if (!st) return std::unexpected(st.error());
    st->bind(1, path);
    RAG_TRY(st->run());
    auto del = sql::Statement::prepare(db_, "DELETE FROM documents WHERE path = ?1");
    if (!del) return std::unexpected(del.error());
    del->bind(1, path);
    RAG_TRY(del->run());
    return (*found)->chunk_count;
  }

  Result<std::vector<PendingChunk>> chunks_needing_embedding(std::string_view model) override {
    auto st = sql::Statement::prepare(db_, kChunksNeedingEmbeddingSql);
    if (!st) return std::unexpected(st.error());
    st->bind(1, model);
    std::vector<PendingChunk> out;
    for (;;) {
      auto row = st->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back({st->column_int64(0), st->column_text(1)});
    }
    return out;
  }

  Result<void> store_embeddings(std::span<const std::int64_t> row_ids,
                                std::span<const std::vector<float>> vectors,
                                std::string_view model) override;

  Result<BuildInfo> finish() override;

 private:
  // Records meta embedded_chunks = "<content_generation> <count>": the chunks with a vector of
  // the index's model, which readers would otherwise count by reading every row, vectors and
  // all (6 GB at a million chunks of 1,536 dimensions: IndexReader::info). Counted only when
  // the content changed since it was recorded.
  Result<void> record_embedded_chunks() {
    auto recorded = recorded_embedded_chunks(db_);
    if (!recorded) return std::unexpected(recorded.error());
    if (*recorded) return {};
    auto model = read_meta(db_, "embedding_model");
    if (!model) return std::unexpected(model.error());
    auto embedded = count_embedded_chunks(db_, *model);
    if (!embedded) return std::unexpected(embedded.error());
    return store::record_embedded_chunks(db_, *embedded);
  }

  // What a batch changed: the index's content (documents, chunks, vectors), or only the build
  // information finish() records.
  enum class Change { kContent, kBuildInfo };

  // Commits the open batch and bumps the generation; a change of content also moves
  // content_generation to it, which is what the lexical index file is tied to
  // (IndexReader::content_generation): a run that changed nothing keeps that file.
  Result<void> commit(Change change) {
    if (!txn_) return fail(ErrorCode::kInternal, "no batch open");
    RAG_TRY(db_.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'"));
    if (change == Change::kContent) {
      RAG_TRY(
          db_.exec("UPDATE meta SET value = (SELECT value FROM meta WHERE key='generation') "
                   "WHERE key='content_generation'"));
    }
    auto r = txn_->commit();
    txn_.reset();
    return r;
  }

  Result<void> require_batch() const {
    if (!txn_) return fail(ErrorCode::kInternal, "index write outside a batch");
    return {};
  }
  Result<std::int64_t> upsert_document(const DocumentRecord& doc);
  Result<void> store_embeddings_in_batch(std::span<const std::int64_t> row_ids,
                                         std::span<const std::vector<float>> vectors,
                                         std::string_view model);

  sql::Database db_;
  std::filesystem::path dir_;
  std::optional<sql::Transaction> txn_;
};

Result<std::int64_t> SqliteIndexWriter::upsert_document(const DocumentRecord& doc) {
  auto st = sql::Statement::prepare(
      db_, "INSERT INTO documents(path, content_sha256, mtime_ns, size) VALUES (?1,?2,?3,?4) "
           "ON CONFLICT(path) DO UPDATE SET content_sha256=excluded.content_sha256, "
           "mtime_ns=excluded.mtime_ns, size=excluded.size RETURNING id");
  if (!st) return std::unexpected(st.error());
  st->bind(1, doc.path).bind(2, doc.content_sha256).bind(3, doc.mtime_ns).bind(4, doc.size);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::kInternal, "document upsert returned no id");
  std::int64_t id = st->column_int64(0);
  RAG_TRY(st->step());  // finish the statement
  return id;
}

Result<ReplaceStats> SqliteIndexWriter::replace_document(const DocumentRecord& doc,
                                                         const std::vector<NewChunk>& chunks,
                                                         std::string_view model) {
  RAG_TRY(require_batch());
  auto doc_id = upsert_document(doc);
  if (!doc_id) return std::unexpected(doc_id.error());

  // Old rows: their ids (deleted after the new rows are in, so their vectors can be reused)
  // and a multiset of their hashes for the added/kept/removed counts.
  auto old = sql::Statement::prepare(db_, "SELECT id, content_hash FROM chunks WHERE document_id=?1");
  if (!old) return std::unexpected(old.error());
  old->bind(1, *doc_id);
  std::vector<std::int64_t> old_ids;
  std::map<std::string, int> old_hashes;
  for (;;) {
    auto row = old->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    old_ids.push_back(old->column_int64(0));
    ++old_hashes[old->column_text(1)];
  }

  // Row ids are never reused, even after the rows with the largest ids were deleted (meta
  // chunk_rows_used): a document's row ids then name its chunks for the life of the index,
  // which is how an incremental update of the lexical index file finds what changed
  // (store::DocumentLayout).
  auto next = sql::Statement::prepare(
      db_,
      "SELECT max(coalesce((SELECT CAST(value AS INTEGER) FROM meta "
      "WHERE key = 'chunk_rows_used'), 0), coalesce((SELECT max(id) FROM chunks), 0)) + 1");
  if (!next) return std::unexpected(next.error());
  RAG_TRY(next->step());
  std::int64_t next_row = next->column_int64(0);
  auto reuse = sql::Statement::prepare(
      db_, "SELECT embedding, embedding_model FROM chunks WHERE content_hash=?1 AND "
           "embedding IS NOT NULL ORDER BY (embedding_model = ?2) DESC LIMIT 1");
  auto ins = sql::Statement::prepare(
      db_,
      "INSERT INTO chunks(document_id, seq, text, metadata, content_hash, embedding, "
      "embedding_model, overlap, id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)");
  if (!reuse) return std::unexpected(reuse.error());
  if (!ins) return std::unexpected(ins.error());

  ReplaceStats stats;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const NewChunk& c = chunks[i];
    const std::string& hash = c.metadata.content_hash;
    auto it = old_hashes.find(hash);
    if (it != old_hashes.end() && it->second > 0) {
      --it->second;
      ++stats.kept;
    } else {
      ++stats.added;
    }
    reuse->bind(1, hash).bind(2, model);
    auto row = reuse->step();
    if (!row) return std::unexpected(row.error());
    std::vector<float> vec;
    std::string vec_model;
    if (*row) {
      auto floats = reuse->column_floats(0);
      if (!floats) return std::unexpected(floats.error());
      vec = std::move(*floats);
      vec_model = reuse->column_text(1);
    }
    reuse->reset();
    ins->bind(1, *doc_id).bind(2, static_cast<std::int64_t>(i)).bind(3, c.text);
    ins->bind(9, next_row++);
    ins->bind(4, c.metadata.to_stored_json()).bind(5, hash);
    if (c.metadata.overlap == ChunkMetadata::kUnknownOverlap) {
      ins->bind_null(8);
    } else {
      ins->bind(8, std::int64_t{c.metadata.overlap});
    }
    if (vec.empty()) {
      ins->bind_null(6).bind_null(7);
    } else {
      ins->bind_blob(6, vec).bind(7, vec_model);
      ++stats.embeddings_reused;
    }
    RAG_TRY(ins->run());
  }
  for (auto& [hash, n] : old_hashes) stats.removed += static_cast<std::size_t>(n);
  RAG_TRY(write_meta(db_, "chunk_rows_used", std::to_string(next_row - 1)));

  auto del = sql::Statement::prepare(db_, "DELETE FROM chunks WHERE id = ?1");
  if (!del) return std::unexpected(del.error());
  for (auto id : old_ids) {
    del->bind(1, id);
    RAG_TRY(del->run());
  }
  return stats;
}

Result<void> SqliteIndexWriter::store_embeddings(std::span<const std::int64_t> row_ids,
                                                 std::span<const std::vector<float>> vectors,
                                                 std::string_view model) {
  auto r = store_embeddings_in_batch(row_ids, vectors, model);
  if (!r) txn_.reset();  // rolls back
  return r;
}

Result<void> SqliteIndexWriter::store_embeddings_in_batch(
    std::span<const std::int64_t> row_ids, std::span<const std::vector<float>> vectors,
    std::string_view model) {
  if (row_ids.size() != vectors.size()) {
    return fail(ErrorCode::kInvalidArgument, "embedding count does not match chunk count");
  }
  if (vectors.empty()) return {};
  const auto dim = vectors.front().size();
  for (const auto& v : vectors) {
    if (v.size() != dim || dim == 0) {
      return fail(ErrorCode::kInvalidArgument, "embeddings of differing or zero dimension");
    }
  }
  RAG_TRY(begin_batch());
  auto cur_model = read_meta(db_, "embedding_model");
  auto cur_dim = read_meta(db_, "embedding_dimension");
  if (!cur_model) return std::unexpected(cur_model.error());
  if (!cur_dim) return std::unexpected(cur_dim.error());
  if (*cur_model == model && !cur_dim->empty() && *cur_dim != "0" &&
      *cur_dim != std::to_string(dim)) {
    return fail(ErrorCode::kInvalidArgument,
                "embedding dimension " + std::to_string(dim) + " differs from the index's " +
                    *cur_dim + " for model " + std::string(model));
  }
  RAG_TRY(write_meta(db_, "embedding_model", model));
  RAG_TRY(write_meta(db_, "embedding_dimension", std::to_string(dim)));
  auto st = sql::Statement::prepare(
      db_, "UPDATE chunks SET embedding = ?2, embedding_model = ?3 WHERE id = ?1");
  if (!st) return std::unexpected(st.error());
  for (std::size_t i = 0; i < row_ids.size(); ++i) {
    st->bind(1, row_ids[i]).bind_blob(2, vectors[i]).bind(3, model);
    RAG_TRY(st->run());
  }
  return commit_batch();
}

Result<BuildInfo> SqliteIndexWriter::finish() {
  if (txn_) return fail(ErrorCode::kInternal, "finish() with a batch open");
  BuildInfo info;
  info.build_timestamp = iso_timestamp();
  RAG_TRY(begin_batch());
  RAG_TRY(write_meta(db_, "build_timestamp", info.build_timestamp));
  RAG_TRY(record_embedded_chunks());
  RAG_TRY(commit(Change::kBuildInfo));
  {
    auto counts = sql::Statement::prepare(
        db_, "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)");
    if (!counts) return std::unexpected(counts.error());
    RAG_TRY(counts->step());
    info.total_documents = static_cast<std::size_t>(counts->column_int64(0));
    info.total_chunks = static_cast<std::size_t>(counts->column_int64(1));
  }  // finalized: changing the journal mode needs no statement in progress
  auto dim = read_meta_int(db_, "embedding_dimension");
  if (!dim) return std::unexpected(dim.error());
  info.embedding_dimension = *dim;
  RAG_TRY(write_build_info(dir_, info));
  RAG_TRY(db_.exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;"));
  return info;
}

}  // namespace

Result<std::unique_ptr<IndexWriter>> IndexWriter::open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
  auto file = std::filesystem::absolute(dir, ec) / std::string(kIndexFileName);
  auto db = sql::Database::open(sql::file_uri(file.string(), ""),
                                SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return std::unexpected(db.error());
  // WAL while writing: a reader (the server) keeps reading the last committed state, and a
  // crash loses at most the open batch. NORMAL sync is durable at checkpoints in WAL mode.
  RAG_TRY(db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  // One transaction: a run killed while it drops an old schema or creates this one leaves the
  // database as it was, never half a schema (a reader then sees no index, or the old one).
  auto schema = sql::Transaction::begin(*db);
  if (!schema) return std::unexpected(schema.error());
  auto version = read_schema_version(*db);
  if (!version) return std::unexpected(version.error());
  if (*version != 0 && *version != kSchemaVersion) {
    spdlog::warn("index at {} has schema version {}, this build writes {}: rebuilding it",
                 dir.string(), *version, kSchemaVersion);
    RAG_TRY(drop_schema(*db));
  }
  RAG_TRY(create_schema(*db));
  RAG_TRY(schema->commit());
  return std::unique_ptr<IndexWriter>(new SqliteIndexWriter(std::move(*db), dir));
}

}  // namespace rag::store
