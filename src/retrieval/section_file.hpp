// A file of sections: the container of the lexical index files (lexical_file.hpp), ready to be
// memory-mapped and read in place. docs/INDEX-FORMAT.md describes the bytes:
//
//   magic (8 bytes) | checksum u64 | version u32 | section count u32 | file size u64
//   | digests offset u64 | per section: offset u64, size u64 | the sections, each at a
//   multiple of 8 | the pieces' digests, u64 each
//
// Little-endian. Every byte from `version` to the digests is cut into pieces of 1 MiB (the last
// may be shorter); the file ends with each piece's XXH3-64 digest, and the checksum is XXH3-64
// of those digests. So a reader can verify a piece alone: all of them on several cores, or, for
// the sections map() is told to check lazily, each piece the first time a reader asks for it
// (LazyPieces), so that a server maps gigabytes and answers before it has read them all.
// Written atomically (a temporary file, fsync, rename), so a reader sees the old file or the new
// one, never half of one. Read defensively: a file that is truncated, of another kind or
// version, fails its checksum or whose sections lie out of bounds is refused with kCorrupt.
//
// Thread-safety: the functions may run concurrently on different files; LazyPieces is
// thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace rag::retrieval::section_file {

// What a file must be: its magic, format version and number of sections. `what` names it in
// error messages ("lexical index").
struct Kind {
  std::array<char, 8> magic;
  std::uint32_t version;
  std::size_t sections;
  std::string_view what;
};

// Writes the sections in order. kIo when it cannot.
Result<void> write(const std::filesystem::path& file, const Kind& kind,
                   std::span<const std::span<const std::byte>> sections);

// What tells one file from another without reading it: a writer replaces these files by
// rename, never in place, so the same identity means the same bytes.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t modified_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};
// All zero when the file cannot be stat'ed.
FileIdentity identity_of(const std::filesystem::path& file);

// The pieces of a mapped file that map() left to be verified when read: those wholly inside its
// lazy sections. verify() hashes a piece the first time it is asked for (through the
// descriptor, so the check itself adds nothing to resident memory) and keeps the verdict; a
// piece that fails its digest makes intact() fail from then on. A reader of lazy bytes calls
// verify() before it uses them and, before it answers, intact(): bytes that failed may have
// been read (the structure checks keep that in bounds) but never answer.
//
// Thread-safety: every method may run concurrently; two threads asking for the same unverified
// piece may both hash it, to the same verdict.
class LazyPieces {
 public:
  // The file's descriptor (owned by the map), its piece digests, where the digests start, and
  // the file's name for messages. REQUIRES: digests are the file's, checked against its
  // checksum.
  LazyPieces(int fd, const std::byte* map, std::vector<std::uint64_t> digests,
             std::uint64_t digests_at, std::string name);
  LazyPieces(const LazyPieces&) = delete;
  LazyPieces& operator=(const LazyPieces&) = delete;

  // Verifies the pieces holding the file's bytes [offset, offset + size): true when they match
  // their digests. Cheap once they have been verified: an atomic load per piece.
  bool verify(std::uint64_t offset, std::uint64_t size) const;
  // The same for bytes of the map.
  bool verify(std::span<const std::byte> mapped) const {
    return mapped.empty() ||
           verify(static_cast<std::uint64_t>(mapped.data() - map_), mapped.size());
  }
  // For map(): verifies every piece that is not wholly inside one of the byte ranges `lazy`
  // (file offset, size), hashing them on up to four threads; false when one fails.
  bool verify_all_but(std::span<const std::pair<std::uint64_t, std::uint64_t>> lazy) const;
  // kCorrupt naming the file and the first piece found damaged, if any.
  Result<void> intact() const;

 private:
  enum State : std::uint8_t { kUnverified, kGood, kBad };
  // Hashes piece `i` (read into `buffer`, of one piece) and records its verdict. A piece that
  // cannot be read is bad: an index on a failing disk is not trusted either.
  State check(std::size_t i, char* buffer) const;

  int fd_;
  const std::byte* map_;
  std::vector<std::uint64_t> digests_;
  std::uint64_t digests_at_;
  std::string name_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> state_;
  mutable std::atomic<std::int64_t> first_bad_{-1};
};

// A read file: its checksum as stored, and each section's bytes (8-byte aligned), which
// `keep_alive` holds.
struct Sections {
  std::uint64_t checksum = 0;
  FileIdentity identity;  // map(): the file mapped
  std::vector<std::span<const std::byte>> bytes;
  std::shared_ptr<const void> keep_alive;
  // map(): the file, open for pread(2) while `keep_alive` lives (else -1), and where each
  // section starts in it.
  int fd = -1;
  std::vector<std::uint64_t> offsets;
  // map() with lazy sections: their pieces, checked when read through it (alive while
  // `keep_alive` lives); null when every byte was checked.
  const LazyPieces* lazy = nullptr;

  // Section `id` as an array of T, or kCorrupt naming it when its size is not a multiple.
  template <typename T>
  Result<std::span<const T>> as(std::size_t id, std::string_view name) const {
    const auto s = bytes[id];
    if (s.size() % sizeof(T) != 0) {
      return fail(ErrorCode::kCorrupt, "section " + std::string(name) + " has a partial entry");
    }
    return std::span<const T>(reinterpret_cast<const T*>(s.data()), s.size() / sizeof(T));
  }
  std::string_view text(std::size_t id) const {
    return {reinterpret_cast<const char*>(bytes[id].data()), bytes[id].size()};
  }
};

// Checks the checksum through the descriptor (a pass that leaves resident memory as it was),
// then maps the file. The pieces wholly inside the sections `lazy` (by number) are left to be
// verified when read (Sections::lazy); every other byte is verified here. kNotFound when
// absent, kCorrupt when damaged, kIo when unreadable.
Result<Sections> map(const std::filesystem::path& file, const Kind& kind,
                     std::span<const std::size_t> lazy = {});

// The checks of map() over bytes already in memory (the fuzz targets' entry); `verify_checksum`
// false skips only the checksum. REQUIRES: bytes.data() is 8-byte aligned.
Result<Sections> parse(std::span<const std::byte> bytes, const Kind& kind, bool verify_checksum,
                       std::shared_ptr<const void> keep_alive);

// The first section's bytes as text, from the file's head alone; "" when the file is absent,
// of another kind or too short. Cheap: for "which generation was this written for?".
std::string first_section(const std::filesystem::path& file, const Kind& kind);
std::string first_section(std::span<const std::byte> head, std::uint64_t file_size,
                          const Kind& kind);

}  // namespace rag::retrieval::section_file
