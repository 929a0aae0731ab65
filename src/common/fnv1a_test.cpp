#include "common/fnv1a.hpp"

#include <gtest/gtest.h>

#include <bit>

namespace rag {
namespace {

std::string fnv1a_hex(std::string_view bytes) {
  Fnv1a hash;
  hash.add_bytes(bytes);
  return hash.hex();
}

TEST(Fnv1a, MatchesThePublishedTestVectors) {
  EXPECT_EQ(fnv1a_hex(""), "cbf29ce484222325");
  EXPECT_EQ(fnv1a_hex("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(fnv1a_hex("foobar"), "85944171f73967e8");
}

TEST(Fnv1a, WideUnitsHashEachWordAsOneUnit) {
  // What the stored graph's vector stamp computes for the floats {1.0, -2.5}: stamps already on
  // disk hold this value, so it must not change.
  Fnv1a hash;
  for (const float x : {1.0F, -2.5F}) hash.add(std::bit_cast<std::uint32_t>(x));
  EXPECT_EQ(hash.hex(), "283327010ecb6fed");
}

TEST(Fnv1a, HexIsSixteenLowerCaseDigits) {
  Fnv1a hash;
  hash.add(0);
  EXPECT_EQ(hash.hex().size(), 16u);
  EXPECT_EQ(hash.value(), 0xcbf29ce484222325ULL * 0x100000001b3ULL);
}

}  // namespace
}  // namespace rag
