// The feedback store in Redis, shared by every replica (REDIS_URL): a rating may reach another
// replica than the one that gave the answer. Keys (prefix `rag:`):
//   feedback:answer:<id>  the answer as JSON (AnswerRecord), expiring after the retention;
//   feedback:rating:<id>  a hash {rating, comment, rated_at}, expiring with its answer;
//   feedback:answers      a sorted set of ids scored by the answer's time (the report's index),
//                         trimmed to the retention on every record.
// Each write is one Lua script (atomic). While Redis is down, record() and rate() fail with
// kUnavailable: the answer is served without a response_id, a rating gets 503.
//
// Thread-safety: any thread; the RedisClient must outlive the store.
#pragma once

#include <chrono>
#include <string>

#include "feedback/feedback_store.hpp"

namespace rag::redis {
class RedisClient;
}

namespace rag::feedback {

class RedisFeedbackStore final : public FeedbackStore {
 public:
  RedisFeedbackStore(redis::RedisClient& client, std::chrono::seconds retention,
                     std::string key_prefix = "rag:");

  boost::asio::awaitable<Result<void>> record(AnswerRecord answer) override;
  boost::asio::awaitable<Result<void>> rate(std::string response_id, Rating rating,
                                           std::string comment) override;
  boost::asio::awaitable<Result<std::vector<StoredAnswer>>> answers_since(
      std::int64_t since) override;

 private:
  std::string key(std::string_view kind, std::string_view id) const;

  redis::RedisClient& client_;
  std::chrono::seconds retention_;
  std::string prefix_;
};

}  // namespace rag::feedback
