#include "feedback/redis_feedback_store.hpp"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/utf8.hpp"
#include "redis/redis_client.hpp"

namespace rag::feedback {
namespace {

using nlohmann::json;

// KEYS: answer key, index key. ARGV: answer JSON, ttl seconds, time, id, oldest time kept.
const redis::RedisScript kRecord(R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[5])
return 1
)lua");

// KEYS: answer key, rating key. ARGV: rating, comment, rated_at. 0 when the answer is gone.
const redis::RedisScript kRate(R"lua(
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
redis.call('HSET', KEYS[2], 'rating', ARGV[1], 'comment', ARGV[2], 'rated_at', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
)lua");

Result<AnswerRecord> parse_answer(const std::string& text) {
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return fail(ErrorCode::kCorrupt, "not a JSON object");
    AnswerRecord a;
    a.response_id = j.value("response_id", "");
    a.time = j.value("time", std::int64_t{0});
    a.question = j.value("question", "");
    a.answer = j.value("answer", "");
    if (auto s = j.find("sources"); s != j.end() && s->is_array())
      for (const auto& u : *s)
        if (u.is_string()) a.sources.push_back(u.get<std::string>());
    a.refused = j.value("refused", false);
    return a;
  } catch (const json::exception& e) {  // not JSON, or a field of another type (value())
    return fail(ErrorCode::kCorrupt, e.what());
  }
}

}  // namespace

RedisFeedbackStore::RedisFeedbackStore(redis::RedisClient& client, std::chrono::seconds retention,
                                       std::string key_prefix)
    : client_(client), retention_(retention), prefix_(std::move(key_prefix)) {}

std::string RedisFeedbackStore::key(std::string_view kind, std::string_view id) const {
  std::string out = prefix_ + "feedback:";
  out += kind;
  if (!id.empty()) out.append(":").append(id);
  return out;
}

boost::asio::awaitable<Result<void>> RedisFeedbackStore::record(AnswerRecord a) {
  const json j{{"response_id", a.response_id},
               {"time", a.time},
               {"question", a.question},
               {"answer", std::string(utf8_prefix(a.answer, kStoredAnswerChars))},
               {"sources", a.sources},
               {"refused", a.refused}};
  const std::int64_t now = unix_now();
  // Named vectors: g++ 12 mis-compiles braced lists inside a co_await expression.
  std::vector<std::string> keys{key("answer", a.response_id), key("answers", "")};
  std::vector<std::string> args{j.dump(-1, ' ', false, json::error_handler_t::replace),
                                std::to_string(retention_.count()), std::to_string(a.time),
                                a.response_id, std::to_string(now - retention_.count())};
  auto done = co_await client_.eval(kRecord, std::move(keys), std::move(args));
  if (!done) co_return std::unexpected(done.error());
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> RedisFeedbackStore::rate(std::string id, Rating rating,
                                                             std::string comment) {
  std::vector<std::string> keys{key("answer", id), key("rating", id)};
  std::vector<std::string> args{std::string(to_string(rating)), std::move(comment),
                                std::to_string(unix_now())};
  auto done = co_await client_.eval(kRate, std::move(keys), std::move(args));
  if (!done) co_return std::unexpected(done.error());
  if (done->as_integer().value_or(0) == 0)
    co_return fail(ErrorCode::kNotFound, "no answer with that response_id is kept");
  co_return Result<void>{};
}

boost::asio::awaitable<Result<std::vector<StoredAnswer>>> RedisFeedbackStore::answers_since(
    std::int64_t since) {
  std::vector<std::string> range{"ZRANGEBYSCORE", key("answers", ""), std::to_string(since),
                                 "+inf"};
  auto ids = co_await client_.command(std::move(range));
  if (!ids) co_return std::unexpected(ids.error());
  std::vector<StoredAnswer> out;
  for (const auto& id : ids->elements) {
    std::vector<std::string> get{"GET", key("answer", id.str)};
    auto text = co_await client_.command(std::move(get));
    if (!text) co_return std::unexpected(text.error());
    if (text->is_nil()) continue;  // expired since the index was trimmed
    auto answer = parse_answer(text->str);
    if (!answer) {
      spdlog::warn("Skipping the stored answer {}, which is not a valid record: {}", id.str,
                   answer.error().message);
      continue;
    }
    StoredAnswer stored{std::move(*answer), std::nullopt, "", 0};
    std::vector<std::string> hgetall{"HGETALL", key("rating", id.str)};
    auto fields = co_await client_.command(std::move(hgetall));
    if (!fields) co_return std::unexpected(fields.error());
    for (std::size_t i = 0; i + 1 < fields->elements.size(); i += 2) {
      const auto& name = fields->elements[i].str;
      const auto& value = fields->elements[i + 1].str;
      if (name == "rating") stored.rating = value == "up" ? Rating::kUp : Rating::kDown;
      if (name == "comment") stored.comment = value;
      if (name == "rated_at") stored.rated_at = fields->elements[i + 1].as_integer().value_or(0);
    }
    out.push_back(std::move(stored));
  }
  co_return out;
}

}  // namespace rag::feedback
