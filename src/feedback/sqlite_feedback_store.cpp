#include "feedback/sqlite_feedback_store.hpp"

#include <nlohmann/json.hpp>

#include <system_error>

#include "common/utf8.hpp"
#include "store/sqlite.hpp"

namespace rag::feedback {
namespace {

using store::sql::Statement;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS answers (
  response_id  TEXT PRIMARY KEY,
  time         INTEGER NOT NULL,
  question     TEXT NOT NULL,
  answer       TEXT NOT NULL,
  sources      TEXT NOT NULL,
  refused      INTEGER NOT NULL,
  rating       TEXT,
  comment      TEXT,
  rated_at     INTEGER
);
CREATE INDEX IF NOT EXISTS answers_by_time ON answers(time);
)sql";

constexpr std::int64_t kPurgeEvery = 3600;

AnswerRecord read_answer(const Statement& row) {
  AnswerRecord a;
  a.response_id = row.column_text(0);
  a.time = row.column_int64(1);
  a.question = row.column_text(2);
  a.answer = row.column_text(3);
  const auto urls = nlohmann::json::parse(row.column_text(4), nullptr, false);
  if (urls.is_array())
    for (const auto& u : urls)
      if (u.is_string()) a.sources.push_back(u.get<std::string>());
  a.refused = row.column_int64(5) != 0;
  return a;
}

}  // namespace

// The connection and the statements every answer and rating run, prepared once.
struct SqliteFeedbackStore::Db {
  store::sql::Database db;
  Statement insert;  // ?1 id, ?2 time, ?3 question, ?4 answer, ?5 sources, ?6 refused
  Statement rate;    // ?1 id, ?2 rating, ?3 comment, ?4 rated_at, ?5 oldest time kept
  Statement purge;   // ?1 oldest time kept
};

Result<std::unique_ptr<SqliteFeedbackStore>> SqliteFeedbackStore::open(
    const std::filesystem::path& file, std::chrono::seconds retention, Clock clock) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    return fail(ErrorCode::kIo, "cannot create the state folder " +
                                    file.parent_path().string() + ": " + ec.message());
  auto db = store::sql::Database::open(store::sql::file_uri(file.string(), ""),
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return fail(ErrorCode::kIo, "feedback store " + file.string() + ": " + db.error().message);
  const auto failed = [&](const Error& e) {
    return fail(ErrorCode::kIo, "feedback store " + file.string() + ": " + e.message);
  };
  for (std::string_view sql : {std::string_view("PRAGMA journal_mode=WAL;"),
                               std::string_view("PRAGMA synchronous=NORMAL;"), kSchema}) {
    if (auto done = db->exec(sql); !done) return failed(done.error());
  }
  auto insert = Statement::prepare(
      *db,
      "INSERT OR REPLACE INTO answers (response_id, time, question, answer, sources, refused) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  auto rate = Statement::prepare(
      *db,
      "UPDATE answers SET rating = ?2, comment = ?3, rated_at = ?4 "
      "WHERE response_id = ?1 AND time >= ?5");
  auto purge = Statement::prepare(*db, "DELETE FROM answers WHERE time < ?1");
  for (const auto* prepared : {&insert, &rate, &purge})
    if (!*prepared) return failed(prepared->error());
  std::unique_ptr<SqliteFeedbackStore> store(new SqliteFeedbackStore(
      std::make_unique<Db>(
          Db{std::move(*db), std::move(*insert), std::move(*rate), std::move(*purge)}),
      retention, clock ? std::move(clock) : unix_now));
  std::lock_guard lock(store->mutex_);
  RAG_TRY(store->purge_if_due());
  return store;
}

SqliteFeedbackStore::SqliteFeedbackStore(std::unique_ptr<Db> db, std::chrono::seconds retention,
                                         Clock clock)
    : db_(std::move(db)), retention_(retention), clock_(std::move(clock)) {}

SqliteFeedbackStore::~SqliteFeedbackStore() = default;

Result<void> SqliteFeedbackStore::purge_if_due() {
  const std::int64_t now = clock_();
  if (now < next_purge_) return {};
  if (auto ran = db_->purge.bind(1, now - retention_.count()).run(); !ran) return ran;
  next_purge_ = now + kPurgeEvery;
  return {};
}

Result<void> SqliteFeedbackStore::record_now(const AnswerRecord& a) {
  std::lock_guard lock(mutex_);
  if (auto purged = purge_if_due(); !purged) return purged;
  const std::string answer(utf8_prefix(a.answer, kStoredAnswerChars));
  const std::string sources = nlohmann::json(a.sources).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return db_->insert.bind(1, a.response_id)
      .bind(2, a.time)
      .bind(3, a.question)
      .bind(4, answer)
      .bind(5, sources)
      .bind(6, std::int64_t{a.refused})
      .run();
}

Result<void> SqliteFeedbackStore::rate_now(const std::string& id, Rating rating,
                                          const std::string& comment) {
  std::lock_guard lock(mutex_);
  const std::int64_t now = clock_();
  if (auto ran = db_->rate.bind(1, id)
                     .bind(2, to_string(rating))
                     .bind(3, comment)
                     .bind(4, now)
                     .bind(5, now - retention_.count())
                     .run();
      !ran)
    return ran;
  if (sqlite3_changes(db_->db.get()) == 0)
    return fail(ErrorCode::kNotFound, "no answer with that response_id is kept");
  return {};
}

boost::asio::awaitable<Result<void>> SqliteFeedbackStore::record(AnswerRecord answer) {
  co_return record_now(answer);
}

boost::asio::awaitable<Result<void>> SqliteFeedbackStore::rate(std::string response_id,
                                                              Rating rating,
                                                              std::string comment) {
  co_return rate_now(response_id, rating, comment);
}

Result<std::vector<StoredAnswer>> SqliteFeedbackStore::answers_since_now(std::int64_t since) {
  std::lock_guard lock(mutex_);
  auto query = Statement::prepare(
      db_->db,
      "SELECT response_id, time, question, answer, sources, refused, rating, comment, rated_at "
      "FROM answers WHERE time >= ?1 ORDER BY time, rowid");
  if (!query) return std::unexpected(query.error());
  query->bind(1, since);
  std::vector<StoredAnswer> out;
  for (;;) {
    auto row = query->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    StoredAnswer stored{read_answer(*query), std::nullopt, "", 0};
    if (!query->column_is_null(6))
      stored.rating = query->column_text(6) == "up" ? Rating::kUp : Rating::kDown;
    stored.comment = query->column_text(7);
    stored.rated_at = query->column_int64(8);
    out.push_back(std::move(stored));
  }
}

boost::asio::awaitable<Result<std::vector<StoredAnswer>>> SqliteFeedbackStore::answers_since(
    std::int64_t since) {
  co_return answers_since_now(since);
}

}  // namespace rag::feedback
