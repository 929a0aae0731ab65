// RAII adapter over the SQLite C API for the store module: a connection handle, prepared
// statements and a transaction guard, with SQLite's error codes turned into Result values.
// Only store/ includes this header (it pulls in sqlite3.h).
//
// Thread-safety: a Database and its Statements belong to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rag::store::sql {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// An open connection. Copy is deleted; moving transfers ownership.
class Database {
 public:
  // `flags` as sqlite3_open_v2 (SQLITE_OPEN_URI is always added).
  static Result<Database> open(const std::string& uri, int flags);

  sqlite3* get() const { return db_.get(); }
  Result<void> exec(std::string_view sql);
  // The connection's latest error, prefixed by `what`.
  Error error(std::string_view what) const;

 private:
  std::unique_ptr<sqlite3, DbCloser> db_;
};

// A prepared statement. Bind indices are 1-based, column indices 0-based, as in SQLite.
class Statement {
 public:
  static Result<Statement> prepare(const Database& db, std::string_view sql);

  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view v);
  Statement& bind_blob(int i, std::span<const float> v);
  Statement& bind_null(int i);

  // true while a row is available; false when done.
  Result<bool> step();
  // Steps to completion (for statements that return no rows) and resets.
  Result<void> run();
  void reset();

  std::int64_t column_int64(int i) const { return sqlite3_column_int64(stmt_.get(), i); }
  std::string column_text(int i) const;
  bool column_is_null(int i) const { return sqlite3_column_type(stmt_.get(), i) == SQLITE_NULL; }
  // A float32 blob; empty for NULL. kCorrupt if the size is not a multiple of 4.
  Result<std::vector<float>> column_floats(int i) const;

 private:
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// Percent-encodes the characters SQLite's URI parser treats specially.
std::string file_uri(const std::string& path, std::string_view query);

}  // namespace rag::store::sql
