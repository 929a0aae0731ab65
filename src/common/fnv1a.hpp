// FNV-1a, 64-bit (Fowler, Noll, Vo): a fast hash for telling contents apart (the /ui assets'
// ETags, the stored graph's vector stamp). Not cryptographic: never use it where someone could
// profit from a collision.
//
// Thread-safety: a value type; distinct objects may be used concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rag {

class Fnv1a {
 public:
  // Mixes in one unit. The textbook hash takes one byte per unit (add_bytes); a caller may take
  // wider words, whose value then differs from the byte-wise one (the vector stamp takes each
  // float's 32 bits as one unit, and stamps already on disk depend on it).
  constexpr void add(std::uint64_t unit) { value_ = (value_ ^ unit) * kPrime; }
  constexpr void add_bytes(std::string_view bytes) {
    for (const unsigned char c : bytes) add(c);
  }
  constexpr std::uint64_t value() const { return value_; }
  // The value as 16 lower-case hex digits.
  std::string hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15, shift = 0; i >= 0; --i, shift += 4) out[i] = kDigits[(value_ >> shift) & 15];
    return out;
  }

 private:
  static constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  static constexpr std::uint64_t kPrime = 0x100000001b3ULL;
  std::uint64_t value_ = kOffsetBasis;
};

}  // namespace rag
