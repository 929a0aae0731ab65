// The pickle subset against real CPython pickles (pickle_test_data.hpp) and hostile inputs.
#include "migrate/pickle_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "migrate/pickle_test_data.hpp"

namespace rag::migrate {
namespace {

using ::testing::HasSubstr;
namespace td = testdata;

std::string unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

const std::vector<std::string> kMixed = {"alpha", "b\u00e9ta \u2713 \U0001F600", "", "alpha",
                                         "alpha"};

Error error_of(std::string_view hex_or_bytes, bool is_hex = true) {
  auto r = read_pickled_str_list(is_hex ? unhex(hex_or_bytes) : std::string(hex_or_bytes));
  EXPECT_FALSE(r.has_value());
  return r ? Error{} : r.error();
}

TEST(PickleReader, ReadsTheSameListAtProtocols2To5) {
  for (const char* hex : {td::kProtocol2, td::kProtocol3, td::kProtocol4, td::kProtocol5}) {
    auto r = read_pickled_str_list(unhex(hex));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, kMixed);
  }
}

TEST(PickleReader, ReadsSingleEmptyAndLongStrings) {
  auto single = read_pickled_str_list(unhex(td::kSingle));
  ASSERT_TRUE(single.has_value()) << single.error().message;
  EXPECT_EQ(*single, std::vector<std::string>{"x"});
  auto empty = read_pickled_str_list(unhex(td::kEmpty));
  ASSERT_TRUE(empty.has_value()) << empty.error().message;
  EXPECT_TRUE(empty->empty());
  for (const char* hex : {td::kLongStringP2, td::kLongStringP4}) {
    auto r = read_pickled_str_list(unhex(hex));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(*r, (std::vector<std::string>{std::string(300, 'y'), "z"}));
  }
}

TEST(PickleReader, FollowsMemoReferencesAcrossAppendsBatches) {
  auto r = read_pickled_str_list(unhex(td::kRepeated1001));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, std::vector<std::string>(1001, "a"));
}

TEST(PickleReader, HandlesLongBinputAndLongBinget) {
  std::vector<std::string> expected;
  for (char32_t c = 0x100; c < 0x100 + 257; ++c) {
    expected.push_back({static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))});
  }
  auto r = read_pickled_str_list(unhex(td::kLongMemoP2));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(*r, expected);
  expected.push_back(expected.back());
  auto again = read_pickled_str_list(unhex(td::kLongBinGetP2));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(*again, expected);
}

TEST(PickleReader, RefusesCodeExecutionNamingOpcodeAndOffset) {
  Error e2 = error_of(td::kEvilP2);
  EXPECT_EQ(e2.code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(e2.message, HasSubstr("GLOBAL (0x63 'c')"));
  EXPECT_THAT(e2.message, HasSubstr("offset 5"));
  EXPECT_THAT(e2.message, HasSubstr("nothing is executed"));
  Error e4 = error_of(td::kEvilP4);
  EXPECT_EQ(e4.code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(e4.message, HasSubstr("STACK_GLOBAL (0x93)"));
  // REDUCE alone (no GLOBAL before it) is refused too.
  EXPECT_THAT(error_of("80025d71002852", true).message, HasSubstr("REDUCE"));
  for (const char* op : {"62", "69", "6f", "81", "92"}) {  // BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX
    EXPECT_EQ(error_of(std::string("80045d94") + op + "2e").code, ErrorCode::kInvalidArgument)
        << op;
  }
}

TEST(PickleReader, RefusesOtherShapes) {
  EXPECT_THAT(error_of(td::kWithInt).message, HasSubstr("BININT1"));
  EXPECT_THAT(error_of(td::kWithBytes).message, HasSubstr("SHORT_BINBYTES"));
  EXPECT_THAT(error_of(td::kDict).message, HasSubstr("EMPTY_DICT"));
  EXPECT_THAT(error_of(td::kTuple).message, HasSubstr("TUPLE1 (0x85)"));
  EXPECT_THAT(error_of(td::kNested).message, HasSubstr("second list"));
  EXPECT_THAT(error_of(td::kProtocol0).message, HasSubstr("LIST (0x6c 'l')"));
  EXPECT_THAT(error_of("80065d942e").message, HasSubstr("protocol 6"));
  EXPECT_THAT(error_of("8c0161942e").message, HasSubstr("not a list of str"));  // a bare str
}

TEST(PickleReader, RejectsTruncatedAndMalformedData) {
  // Every strict prefix of a valid pickle is an error, never a crash or a partial list.
  const std::string whole = unhex(td::kProtocol4);
  for (std::size_t n = 0; n < whole.size(); ++n) {
    auto r = read_pickled_str_list(std::string_view(whole).substr(0, n));
    EXPECT_FALSE(r.has_value()) << "prefix of " << n << " bytes";
  }
  EXPECT_THAT(error_of("80045d942e00").message, HasSubstr("trailing bytes"));
  EXPECT_THAT(error_of("80045d282e").message, HasSubstr("MARK still open"));
  EXPECT_THAT(error_of("80045d65").message, HasSubstr("APPENDS without a MARK"));
  EXPECT_THAT(error_of("80045d68052e").message, HasSubstr("unknown entry"));  // BINGET 5
  EXPECT_THAT(error_of("8004942e").message, HasSubstr("nothing on the stack"));
  EXPECT_THAT(error_of("80045d61").message, HasSubstr("needs a list and a value"));
  EXPECT_THAT(error_of("80048c01618c016161").message, HasSubstr("not the list"));  // str to str
  // APPEND across a MARK (the list is outside the innermost frame): CPython refuses it too.
  EXPECT_THAT(error_of("80045d288c016161652e").message, HasSubstr("needs a list and a value"));
  EXPECT_THAT(error_of("800495ff00000000000000").message, HasSubstr("frame longer"));
  EXPECT_THAT(error_of("80045d58ffffffff").message, HasSubstr("past the end"));
  EXPECT_THAT(error_of("80045d8dffffffffffffffff").message, HasSubstr("past the end"));
}

TEST(PickleReader, RejectsInvalidUtf8) {
  // Overlong '/', a lone surrogate (what surrogatepass writes), a stray continuation byte,
  // a code point past U+10FFFF, a truncated sequence.
  for (const char* bad : {"c0af", "eda080", "80", "f4908080", "e282"}) {
    const std::string body(bad);
    char len[3];
    std::snprintf(len, sizeof len, "%02x", static_cast<unsigned>(body.size() / 2));
    Error e = error_of("80045d288c" + std::string(len) + body + "652e");
    EXPECT_EQ(e.code, ErrorCode::kCorrupt) << bad;
    EXPECT_THAT(e.message, HasSubstr("UTF-8")) << bad;
  }
}

TEST(PickleReader, CapsTheOutputOfMemoReferences) {
  // One 64 KiB string then 40,000 BINGETs of it: 2.5 GiB of output from 144 KiB of input.
  std::string p = unhex("80045d9428");
  p += '\x8d';  // BINUNICODE8
  const std::uint64_t n = 65536;
  for (int i = 0; i < 8; ++i) p += static_cast<char>((n >> (8 * i)) & 0xFF);
  p += std::string(n, 'x');
  p += '\x94';  // MEMOIZE -> 1
  for (int i = 0; i < 40000; ++i) p += "h\x01";
  p += "e.";
  auto r = read_pickled_str_list(p);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("more text than the import allows"));
}

}  // namespace
}  // namespace rag::migrate
