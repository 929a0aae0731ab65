// A file of sections: the container of the lexical index files (lexical_file.hpp), ready to be
// memory-mapped and read in place. docs/INDEX-FORMAT.md describes the bytes:
//
//   magic (8 bytes) | checksum u64 | version u32 | section count u32 | file size u64
//   | per section: offset u64, size u64 | the sections, each at a multiple of 8
//
// Little-endian. The checksum is XXH3-64 over the XXH3-64 digests of the 16 MiB pieces of every
// byte from `version` to the end (the last piece may be shorter), so that a reader hashes the
// pieces of a file of gigabytes on several cores. Written
// atomically (a temporary file, fsync, rename), so a reader sees the old file or the new one,
// never half of one. Read defensively: a file that is truncated, of another kind or version,
// fails its checksum or whose sections lie out of bounds is refused with kCorrupt.
//
// Thread-safety: the functions may run concurrently on different files.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
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
// then maps the file. kNotFound when absent, kCorrupt when damaged, kIo when unreadable.
Result<Sections> map(const std::filesystem::path& file, const Kind& kind);

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
