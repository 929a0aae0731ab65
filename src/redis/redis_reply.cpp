// Conversions of RedisReply values.
#include "redis/redis_reply.hpp"

#include <charconv>

namespace rag::redis {

std::optional<long long> RedisReply::as_integer() const {
  if (type == Type::kInteger) return integer;
  if (type != Type::kString && type != Type::kStatus) return std::nullopt;
  long long v = 0;
  auto [p, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
  if (ec != std::errc() || p != str.data() + str.size()) return std::nullopt;
  return v;
}

}  // namespace rag::redis
