// A Redis reply as an owned value (a deep copy of hiredis' redisReply), so it can cross threads
// and outlive the hiredis callback that produced it. Error replies never appear here: the client
// turns them into Error{kUpstream, "<redis error text>"}.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rag::redis {

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };

  Type type = Type::kNil;
  std::string str;                  // kString, kStatus
  long long integer = 0;            // kInteger
  std::vector<RedisReply> elements; // kArray

  bool is_nil() const { return type == Type::kNil; }
  // The integer of an kInteger reply, or a kString holding a number; nullopt otherwise.
  std::optional<long long> as_integer() const;
};

}  // namespace rag::redis
