// Implementation of the SQLite RAII adapter (see sqlite.hpp).
#include "store/sqlite.hpp"

#include <cstring>
#include <vector>

namespace rag::store::sql {

Result<Database> Database::open(const std::string& uri, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(uri.c_str(), &raw, flags | SQLITE_OPEN_URI, nullptr);
  Database db;
  db.db_.reset(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return fail(ErrorCode::kIo, "cannot open index database: " + msg);
  }
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<void> Database::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return fail(ErrorCode::kIo, "sqlite: " + msg);
  }
  return {};
}

Error Database::error(std::string_view what) const {
  int rc = sqlite3_extended_errcode(db_.get());
  ErrorCode code = (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB
                       ? ErrorCode::kCorrupt
                       : ErrorCode::kIo;
  return Error{code, std::string(what) + ": " + sqlite3_errmsg(db_.get()), 0};
}

Result<Statement> Statement::prepare(const Database& db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
      SQLITE_OK) {
    return std::unexpected(db.error("prepare"));
  }
  Statement s;
  s.db_ = db.get();
  s.stmt_.reset(raw);
  return s;
}

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_.get(), i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text64(stmt_.get(), i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Statement& Statement::bind_blob(int i, std::span<const float> v) {
  sqlite3_bind_blob64(stmt_.get(), i, v.data(), v.size_bytes(), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_.get(), i);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  int base = rc & 0xff;
  ErrorCode code = base == SQLITE_CORRUPT || base == SQLITE_NOTADB ? ErrorCode::kCorrupt
                                                                    : ErrorCode::kIo;
  std::string msg = std::string("sqlite step: ") + sqlite3_errmsg(db_);
  sqlite3_reset(stmt_.get());
  return fail(code, msg);
}

Result<void> Statement::run() {
  auto r = step();
  reset();
  if (!r) return std::unexpected(r.error());
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::column_text(int i) const {
  const auto* p = sqlite3_column_text(stmt_.get(), i);
  int n = sqlite3_column_bytes(stmt_.get(), i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string();
}

Result<std::vector<float>> Statement::column_floats(int i) const {
  const void* p = sqlite3_column_blob(stmt_.get(), i);
  auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), i));
  if (!p || n == 0) return std::vector<float>{};
  if (n % sizeof(float) != 0) return fail(ErrorCode::kCorrupt, "embedding blob of odd size");
  std::vector<float> out(n / sizeof(float));
  std::memcpy(out.data(), p, n);
  return out;
}

Result<Transaction> Transaction::begin(Database& db) {
  RAG_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (!db_) return fail(ErrorCode::kInternal, "transaction already finished");
  auto r = db_->exec("COMMIT");
  if (r) db_ = nullptr;
  return r;
}

std::string file_uri(const std::string& path, std::string_view query) {
  std::string out = "file:";
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : path) {
    if (c == '?' || c == '#' || c == '%' || c < 0x20) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (!query.empty()) {
    out += '?';
    out += query;
  }
  return out;
}

}  // namespace rag::store::sql
