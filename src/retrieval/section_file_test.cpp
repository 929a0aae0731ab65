// section_file: what the writer writes the reader accepts, through the file (its checksum
// hashed in pieces on several threads) and in memory alike; any damaged byte is refused, at
// once or, in a section read lazily, when the piece holding it is first read.
#include "retrieval/section_file.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "retrieval/testing/test_corpus.hpp"

namespace rag::retrieval::section_file {
namespace {

constexpr Kind kTest{{'T', 'E', 'S', 'T', '\0', '\0', '\0', '\0'}, 3, 3, "test file"};

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void overwrite(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

Result<Sections> parse_copy(const std::string& bytes) {
  std::vector<std::uint64_t> aligned((bytes.size() + 7) / 8);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  auto parsed = parse(std::as_bytes(std::span(aligned)).first(bytes.size()), kTest, true, nullptr);
  if (parsed) parsed->bytes.clear();  // they pointed into `aligned`
  return parsed;
}

// The test files: a short name, `large`, and a section of an odd size.
const std::string name = "first";
const std::string odd = "seven b";
Result<void> write_three(const std::filesystem::path& file,
                         const std::vector<std::uint64_t>& large) {
  const std::vector<std::span<const std::byte>> sections{std::as_bytes(std::span(name)),
                                                         std::as_bytes(std::span(large)),
                                                         std::as_bytes(std::span(odd))};
  return write(file, kTest, sections);
}

TEST(SectionFile, AFileOfSeveralChecksumPiecesRoundTripsAndAnyDamageIsRefused) {
  testing::ScratchDir dir;
  const auto file = dir.path() / "test.bin";
  // Over five 1 MiB checksum pieces, of bytes no two pieces share.
  std::vector<std::uint64_t> large((5u << 20) / 8);
  std::mt19937_64 random(1);
  for (auto& x : large) x = random();
  ASSERT_TRUE(write_three(file, large));

  auto mapped = map(file, kTest);
  ASSERT_TRUE(mapped) << mapped.error().message;
  ASSERT_EQ(mapped->bytes.size(), 3u);
  EXPECT_EQ(mapped->text(0), name);
  EXPECT_EQ(mapped->bytes[1].size(), large.size() * 8);
  EXPECT_EQ(std::memcmp(mapped->bytes[1].data(), large.data(), large.size() * 8), 0);
  EXPECT_EQ(mapped->text(2), odd);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(mapped->bytes[2].data()) % 8, 0u);
  EXPECT_EQ(mapped->identity, identity_of(file));
  EXPECT_EQ(first_section(file, kTest), name);
  const std::string good = read(file);
  ASSERT_TRUE(parse_copy(good));

  // One flipped bit in the first, a middle and the last piece.
  for (const std::size_t at : {std::size_t{100}, good.size() / 2, good.size() - 3}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    overwrite(file, bad);
    auto refused = map(file, kTest);
    ASSERT_FALSE(refused) << at;
    EXPECT_EQ(refused.error().code, ErrorCode::kCorrupt);
    EXPECT_NE(refused.error().message.find("checksum mismatch"), std::string::npos);
    EXPECT_FALSE(parse_copy(bad)) << at;
  }
  overwrite(file, good.substr(0, good.size() - 8));
  EXPECT_FALSE(map(file, kTest));
  EXPECT_NE(identity_of(file), mapped->identity);

  constexpr Kind kOther{{'T', 'E', 'S', 'T', '\0', '\0', '\0', '\0'}, 4, 3, "test file"};
  overwrite(file, good);
  auto version = map(file, kOther);
  ASSERT_FALSE(version);
  EXPECT_NE(version.error().message.find("format version 3, this build reads 4"),
            std::string::npos);
  EXPECT_EQ(first_section(file, kOther), "");
  EXPECT_EQ(map(dir.path() / "absent", kTest).error().code, ErrorCode::kNotFound);
}

// A file of three sections whose middle one (5 MiB) is to be read lazily.
struct LazyFile {
  testing::ScratchDir dir;
  std::filesystem::path file = dir.path() / "test.bin";
  std::vector<std::uint64_t> large = std::vector<std::uint64_t>((5u << 20) / 8, 0x0123456789abcdef);
  std::string good;
  LazyFile() {
    EXPECT_TRUE(write_three(file, large));
    good = read(file);
  }
  void flip(std::size_t at) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    overwrite(file, bad);
  }
};

TEST(SectionFile, ALazySectionIsVerifiedPieceByPieceWhenRead) {
  LazyFile f;
  constexpr std::array<std::size_t, 1> kLarge{1};
  auto mapped = map(f.file, kTest, kLarge);
  ASSERT_TRUE(mapped) << mapped.error().message;
  ASSERT_NE(mapped->lazy, nullptr);
  EXPECT_TRUE(mapped->lazy->verify(mapped->bytes[1]));
  EXPECT_TRUE(mapped->lazy->intact());
  EXPECT_EQ(map(f.file, kTest)->lazy, nullptr);  // without lazy sections: all verified
  const auto offset = mapped->offsets[1];
  const auto middle = offset + mapped->bytes[1].size() / 2;

  // A damaged byte in the middle of the lazy section: mapped all the same; the piece holding it
  // fails when read, and from then on the file is not intact; the other pieces are fine.
  f.flip(middle);
  EXPECT_FALSE(map(f.file, kTest));
  auto lazily = map(f.file, kTest, kLarge);
  ASSERT_TRUE(lazily) << lazily.error().message;
  EXPECT_TRUE(lazily->lazy->verify(offset, 4096));
  EXPECT_TRUE(lazily->lazy->intact());
  EXPECT_FALSE(lazily->lazy->verify(middle - 10, 20));
  const auto broken = lazily->lazy->intact();
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(broken.error().message.find("checksum mismatch"), std::string::npos);
  EXPECT_FALSE(lazily->lazy->verify(middle, 1));  // the verdict is kept
  EXPECT_TRUE(lazily->lazy->verify(offset, 4096));
  EXPECT_FALSE(lazily->lazy->verify(offset, f.good.size()));  // past the sections

  // Outside the lazy section (its first bytes share a piece with the header), in the digests,
  // or in the checksum: refused when mapped.
  for (const std::size_t at :
       {static_cast<std::size_t>(offset + 8), f.good.size() - 3, std::size_t{9}}) {
    f.flip(at);
    EXPECT_FALSE(map(f.file, kTest, kLarge)) << at;
  }
}

TEST(SectionFile, ThreadsVerifyingTheSamePiecesAgree) {
  LazyFile f;
  constexpr std::array<std::size_t, 1> kLarge{1};
  auto mapped = map(f.file, kTest, kLarge);
  ASSERT_TRUE(mapped) << mapped.error().message;
  const auto middle = mapped->offsets[1] + mapped->bytes[1].size() / 2;
  f.flip(middle);
  auto lazily = map(f.file, kTest, kLarge);
  ASSERT_TRUE(lazily) << lazily.error().message;
  // Four threads walk the lazy section in 64 KiB steps at once (the race TSan watches). The
  // log's registry is made first, as the server's is at start: TSan cannot see the guard of its
  // first use inside the uninstrumented spdlog library.
  spdlog::default_logger_raw();
  std::array<int, 4> failed{};
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < failed.size(); ++t) {
      threads.emplace_back([&, t] {
        for (std::uint64_t at = 0; at < lazily->bytes[1].size(); at += 64 << 10) {
          failed[t] += lazily->lazy->verify(lazily->offsets[1] + at, 64 << 10) ? 0 : 1;
        }
      });
    }
  }
  // The steps that touch the damaged 1 MiB piece: 16, or 17 when they straddle its ends.
  EXPECT_GE(failed[0], 16);
  EXPECT_LE(failed[0], 17);
  for (const int n : failed) EXPECT_EQ(n, failed[0]);
  EXPECT_FALSE(lazily->lazy->intact());
}

}  // namespace
}  // namespace rag::retrieval::section_file
