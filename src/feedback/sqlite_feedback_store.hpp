// The feedback store in a SQLite file of the state folder (STATE_DIR/feedback.sqlite,
// docs/configuration.md), one per server; replicas share redis_feedback_store.hpp instead.
// WAL journal, synchronous=NORMAL: a crash may lose the last records, never corrupt the file.
// Records older than the retention are deleted when the store opens and then at most hourly.
//
// Thread-safety: every method may run concurrently (one connection behind a mutex; each call
// is one short statement or transaction).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "feedback/feedback_store.hpp"

namespace rag::feedback {

class SqliteFeedbackStore final : public FeedbackStore {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix seconds

  // Creates the folder and the file when missing. kIo when they cannot be created or opened.
  static Result<std::unique_ptr<SqliteFeedbackStore>> open(const std::filesystem::path& file,
                                                          std::chrono::seconds retention,
                                                          Clock clock = {});
  ~SqliteFeedbackStore() override;

  boost::asio::awaitable<Result<void>> record(AnswerRecord answer) override;
  boost::asio::awaitable<Result<void>> rate(std::string response_id, Rating rating,
                                           std::string comment) override;
  boost::asio::awaitable<Result<std::vector<StoredAnswer>>> answers_since(
      std::int64_t since) override;

 private:
  struct Db;
  SqliteFeedbackStore(std::unique_ptr<Db> db, std::chrono::seconds retention, Clock clock);
  Result<void> record_now(const AnswerRecord& answer);
  Result<void> rate_now(const std::string& id, Rating rating, const std::string& comment);
  Result<std::vector<StoredAnswer>> answers_since_now(std::int64_t since);
  Result<void> purge_if_due();  // REQUIRES: mutex_ held

  std::mutex mutex_;
  std::unique_ptr<Db> db_;
  std::chrono::seconds retention_;
  Clock clock_;
  std::int64_t next_purge_ = 0;
};

}  // namespace rag::feedback
