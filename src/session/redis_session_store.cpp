// See redis_session_store.hpp. Messages are stored as compact JSON objects
// {"role","content","timestamp"}; scripts keep the list, its TTL and the index consistent.
#include "session/redis_session_store.hpp"

#include "session/history_bounds.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace rag::session {
namespace {

using redis::RedisScript;

// KEYS: list, index. ARGV: ttl_s, max, now_ms, id, max_bytes, messages...
// Appends the messages, bounds the list by count (ARGV[2]) and then by bytes (MAX_SESSION_BYTES,
// ARGV[5]: the oldest messages go until their stored JSON fits), and refreshes its TTL and its
// entry in the index. Shared by the writing scripts.
constexpr const char* kPushBounded = R"lua(
redis.call('RPUSH', KEYS[1], unpack(ARGV, 6))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
local stored = redis.call('LRANGE', KEYS[1], 0, -1)
local total, drop = 0, 0
for _, v in ipairs(stored) do total = total + #v end
while total > tonumber(ARGV[5]) and drop < #stored do
  drop = drop + 1
  total = total - #stored[drop]
end
if drop > 0 then redis.call('LTRIM', KEYS[1], drop, -1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
)lua";

const RedisScript kAppend(std::string(kPushBounded) + R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - 1000 * tonumber(ARGV[1]))
return redis.call('LLEN', KEYS[1])
)lua");

// Same ARGV; replaces the list (an empty history deletes it).
const RedisScript kReplace(R"lua(
redis.call('DEL', KEYS[1])
if #ARGV >= 6 then
)lua" + std::string(kPushBounded) + R"lua(
else
  redis.call('ZREM', KEYS[2], ARGV[4])
end
return 1
)lua");

// ARGV: ttl_s, now_ms, id. Reading is a use: refresh the TTL and the index.
const RedisScript kGet(R"lua(
local v = redis.call('LRANGE', KEYS[1], 0, -1)
if #v > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
end
return v
)lua");

// ARGV: id.
const RedisScript kErase(R"lua(
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
)lua");

// KEYS: index. ARGV: oldest live score (now_ms - ttl_ms).
const RedisScript kCount(R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return redis.call('ZCARD', KEYS[1])
)lua");

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string encode(const Message& m) {
  return nlohmann::json{{"role", m.role}, {"content", m.content}, {"timestamp", m.timestamp}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Message> decode(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Message m;
    m.role = j.at("role").get<std::string>();
    m.content = j.at("content").get<std::string>();
    if (j.contains("timestamp") && j["timestamp"].is_string()) m.timestamp = j["timestamp"];
    return m;
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kCorrupt, std::string("stored session message is not valid: ") + e.what());
  }
}

}  // namespace

RedisSessionStore::RedisSessionStore(redis::RedisClient& client, RedisSessionOptions options)
    : client_(client), options_(std::move(options)) {
  if (options_.max_history == 0) options_.max_history = 1;
}

std::vector<std::string> RedisSessionStore::write_args(const std::string& id) const {
  const long long ttl = std::max<long long>(1, std::llround(options_.idle_timeout.count()));
  return {std::to_string(ttl), std::to_string(options_.max_history), std::to_string(now_ms()), id,
          std::to_string(options_.max_bytes)};
}

asio::awaitable<Result<History>> RedisSessionStore::get(std::string id) {
  auto args = write_args(id);
  std::vector<std::string> argv{args[0], args[2], args[3]};
  std::vector<std::string> keys{list_key(id), index_key()};
  auto r = co_await client_.eval(kGet, std::move(keys), std::move(argv));
  if (!r) co_return std::unexpected(r.error());
  History history;
  for (const auto& e : r->elements) {
    auto m = decode(e.str);
    if (!m) co_return std::unexpected(m.error());
    history.push_back(std::move(*m));
  }
  co_return history;
}

asio::awaitable<Result<void>> RedisSessionStore::append(std::string id, Message user,
                                                        Message assistant) {
  auto args = write_args(id);
  args.push_back(encode(user));
  args.push_back(encode(assistant));
  std::vector<std::string> keys{list_key(id), index_key()};
  auto r = co_await client_.eval(kAppend, std::move(keys), std::move(args));
  if (!r) co_return std::unexpected(r.error());
  co_return Result<void>{};
}

asio::awaitable<Result<void>> RedisSessionStore::replace(std::string id, History history) {
  auto args = write_args(id);
  trim_history(history, {options_.max_history, options_.max_bytes});
  for (const auto& message : history) args.push_back(encode(message));
  std::vector<std::string> keys{list_key(id), index_key()};
  auto r = co_await client_.eval(kReplace, std::move(keys), std::move(args));
  if (!r) co_return std::unexpected(r.error());
  co_return Result<void>{};
}

asio::awaitable<Result<bool>> RedisSessionStore::erase(std::string id) {
  std::vector<std::string> keys{list_key(id), index_key()};
  std::vector<std::string> args{id};
  auto r = co_await client_.eval(kErase, std::move(keys), std::move(args));
  if (!r) co_return std::unexpected(r.error());
  co_return r->integer > 0;
}

asio::awaitable<Result<std::size_t>> RedisSessionStore::count() {
  const long long ttl_ms = std::llround(options_.idle_timeout.count() * 1000);
  std::vector<std::string> keys{index_key()};
  std::vector<std::string> args{std::to_string(now_ms() - ttl_ms)};
  auto r = co_await client_.eval(kCount, std::move(keys), std::move(args));
  if (!r) co_return std::unexpected(r.error());
  co_return static_cast<std::size_t>(r->integer);
}

}  // namespace rag::session
