// A file of sections: writer, checked reader (see section_file.hpp).
#include "retrieval/section_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace rag::retrieval::section_file {
namespace {

static_assert(std::endian::native == std::endian::little,
              "section files are little-endian and read in place");

struct Prefix {
  std::array<char, 8> magic;
  std::uint64_t checksum;
  std::uint32_t version;
  std::uint32_t section_count;
  std::uint64_t file_size;
  std::uint64_t digests_at;  // where the pieces' digests start: the end of the last section
};
static_assert(sizeof(Prefix) == 40 && std::is_trivially_copyable_v<Prefix>);
constexpr std::size_t kChecksummedFrom = offsetof(Prefix, version);

struct Section {
  std::uint64_t offset;  // from the start of the file, a multiple of 8
  std::uint64_t size;    // in bytes
};

std::uint64_t aligned(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

std::uint64_t header_size(std::size_t sections) {
  return sizeof(Prefix) + sections * sizeof(Section);
}

// The pieces the checksum is made of: every byte from `version` to the digests, cut into pieces
// of kPiece bytes (the last may be shorter). Small enough that a server's first queries verify
// only the few megabytes they read (LazyPieces), large enough that a file of gigabytes has a
// few thousand digests.
constexpr std::size_t kPiece = std::size_t{1} << 20;

std::uint64_t piece_count(std::uint64_t digests_at) {
  return digests_at > kChecksummedFrom ? (digests_at - kChecksummedFrom + kPiece - 1) / kPiece : 0;
}

// Piece `i` of a file whose digests start at `digests_at`: where it starts, and its size.
struct Piece {
  std::uint64_t at;
  std::size_t size;
};
Piece piece(std::size_t i, std::uint64_t digests_at) {
  const std::uint64_t at = kChecksummedFrom + std::uint64_t{i} * kPiece;
  return {at, static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, digests_at - at))};
}

std::uint64_t combine(std::span<const std::uint64_t> digests) {
  return XXH3_64bits(digests.data(), digests.size() * sizeof(std::uint64_t));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, std::min<std::size_t>(size, 1 << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool read_all(int fd, void* data, std::size_t size, std::uint64_t offset) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

// The digests of bytes given in order, in any number of calls.
class PieceHasher {
 public:
  PieceHasher() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~PieceHasher() { XXH3_freeState(state_); }
  PieceHasher(const PieceHasher&) = delete;
  PieceHasher& operator=(const PieceHasher&) = delete;

  void add(const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
      const std::size_t n = std::min(size, kPiece - filled_);
      XXH3_64bits_update(state_, p, n);
      filled_ += n;
      p += n;
      size -= n;
      if (filled_ == kPiece) finish_piece();
    }
  }
  const std::vector<std::uint64_t>& digests() {
    if (filled_ > 0) finish_piece();
    return digests_;
  }

 private:
  void finish_piece() {
    digests_.push_back(XXH3_64bits_digest(state_));
    XXH3_64bits_reset(state_);
    filled_ = 0;
  }
  XXH3_state_t* state_;
  std::size_t filled_ = 0;
  std::vector<std::uint64_t> digests_;
};

std::string prefixed(const Kind& kind, const std::string& why) {
  return std::string(kind.what) + ": " + why;
}

// The prefix's own checks, against the file's size: an error message, or "" when it holds.
std::string check_prefix(const Prefix& prefix, std::uint64_t size, const Kind& kind) {
  if (prefix.magic != kind.magic) return "not one";
  if (prefix.version != kind.version || prefix.section_count != kind.sections) {
    return "format version " + std::to_string(prefix.version) + ", this build reads " +
           std::to_string(kind.version);
  }
  if (prefix.file_size != size) {
    return "truncated or extended (" + std::to_string(size) + " bytes, header says " +
           std::to_string(prefix.file_size) + ")";
  }
  const auto header = header_size(kind.sections);
  if (prefix.digests_at < header || prefix.digests_at > size ||
      (size - prefix.digests_at) / 8 != piece_count(prefix.digests_at) ||
      (size - prefix.digests_at) % 8 != 0) {
    return "its piece digests do not fit its size";
  }
  return "";
}

// The map and the descriptor, for sections read with pread(2) rather than through the map, and
// the pieces left to verify when read.
struct Mapping {
  Mapping(void* address, std::size_t size, int fd) : address(address), size(size), fd(fd) {}
  ~Mapping() {
    ::munmap(address, size);
    ::close(fd);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  void* address;
  std::size_t size;
  int fd;
  std::optional<LazyPieces> pieces;
};

FileIdentity identity_from(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::uint64_t>(st.st_size),
          std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

LazyPieces::LazyPieces(int fd, const std::byte* map, std::vector<std::uint64_t> digests,
                       std::uint64_t digests_at, std::string name)
    : fd_(fd),
      map_(map),
      digests_(std::move(digests)),
      digests_at_(digests_at),
      name_(std::move(name)),
      state_(std::make_unique<std::atomic<std::uint8_t>[]>(digests_.size())) {}

LazyPieces::State LazyPieces::check(std::size_t i, char* buffer) const {
  const auto [at, n] = piece(i, digests_at_);
  const bool good = read_all(fd_, buffer, n, at) && XXH3_64bits(buffer, n) == digests_[i];
  std::int64_t none = -1;
  if (!good) first_bad_.compare_exchange_strong(none, static_cast<std::int64_t>(i));
  state_[i].store(good ? kGood : kBad, std::memory_order_release);
  return good ? kGood : kBad;
}

bool LazyPieces::verify(std::uint64_t offset, std::uint64_t size) const {
  if (size == 0) return true;
  if (offset > digests_at_ || size > digests_at_ - offset) return false;
  const auto piece_of = [](std::uint64_t byte) {
    return byte < kChecksummedFrom ? 0 : (byte - kChecksummedFrom) / kPiece;
  };
  std::unique_ptr<char[]> buffer;  // allocated for the first unverified piece
  bool good = true;
  for (auto i = piece_of(offset); i <= piece_of(offset + size - 1); ++i) {
    auto state = static_cast<State>(state_[i].load(std::memory_order_acquire));
    if (state == kUnverified) {
      if (!buffer) buffer = std::make_unique_for_overwrite<char[]>(kPiece);
      state = check(i, buffer.get());
      if (state == kBad) {
        spdlog::error("{}: checksum mismatch in the piece at byte {}, found as it was first read",
                      name_, piece(i, digests_at_).at);
      }
    }
    good = good && state == kGood;
  }
  return good;
}

bool LazyPieces::verify_all_but(
    std::span<const std::pair<std::uint64_t, std::uint64_t>> lazy) const {
  std::vector<std::size_t> eager;
  for (std::size_t i = 0; i < digests_.size(); ++i) {
    const auto [from, n] = piece(i, digests_at_);
    const bool inside = std::ranges::any_of(lazy, [&](const auto& range) {
      return range.first <= from && from + n <= range.first + range.second;
    });
    if (!inside) eager.push_back(i);
  }
  const auto threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  std::atomic<bool> good = true;
  const auto verify_every = [&](std::size_t first) {
    const auto buffer = std::make_unique_for_overwrite<char[]>(kPiece);
    for (std::size_t k = first; k < eager.size() && good.load(std::memory_order_relaxed);
         k += threads) {
      if (check(eager[k], buffer.get()) != kGood) good = false;
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 1; t < std::min(threads, eager.size()); ++t)
      workers.emplace_back(verify_every, t);
    verify_every(0);
  }
  return good;
}

Result<void> LazyPieces::intact() const {
  const auto bad = first_bad_.load(std::memory_order_acquire);
  if (bad < 0) return {};
  return fail(ErrorCode::kCorrupt,
              name_ + ": checksum mismatch in bytes from " +
                  std::to_string(piece(static_cast<std::size_t>(bad), digests_at_).at));
}

FileIdentity identity_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return identity_from(st);
}

Result<void> write(const std::filesystem::path& file, const Kind& kind,
                   std::span<const std::span<const std::byte>> sections) {
  if (sections.size() != kind.sections) {
    return fail(ErrorCode::kInternal, prefixed(kind, "wrong number of sections to write"));
  }
  Prefix prefix{};
  prefix.magic = kind.magic;
  prefix.version = kind.version;
  prefix.section_count = static_cast<std::uint32_t>(sections.size());
  std::vector<Section> table(sections.size());
  std::uint64_t at = aligned(header_size(sections.size()));
  for (std::size_t i = 0; i < sections.size(); ++i) {
    table[i] = {at, sections[i].size()};
    at = aligned(at + sections[i].size());
  }
  prefix.digests_at = at;
  prefix.file_size = at + piece_count(at) * sizeof(std::uint64_t);
  static constexpr std::array<std::byte, 8> kPadding{};
  const auto padding = [](std::size_t size) { return aligned(size) - size; };
  const auto table_bytes = std::as_bytes(std::span(table));
  PieceHasher hash;
  hash.add(reinterpret_cast<const char*>(&prefix) + kChecksummedFrom,
           sizeof(Prefix) - kChecksummedFrom);
  hash.add(table_bytes.data(), table_bytes.size());
  hash.add(kPadding.data(), padding(header_size(sections.size())));
  for (const auto& s : sections) {
    hash.add(s.data(), s.size());
    hash.add(kPadding.data(), padding(s.size()));
  }
  const auto& digests = hash.digests();
  prefix.checksum = combine(digests);

  auto temporary = file;
  temporary += ".tmp";
  const auto failed = [&](const std::string& why) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return fail(ErrorCode::kIo, "cannot write " + file.string() + ": " + why);
  };
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return failed(std::strerror(errno));
  bool ok = write_all(fd.get(), &prefix, sizeof prefix) &&
            write_all(fd.get(), table_bytes.data(), table_bytes.size()) &&
            write_all(fd.get(), kPadding.data(), padding(header_size(sections.size())));
  for (const auto& s : sections) {
    ok = ok && write_all(fd.get(), s.data(), s.size()) &&
         write_all(fd.get(), kPadding.data(), padding(s.size()));
  }
  ok = ok && write_all(fd.get(), digests.data(), digests.size() * sizeof(std::uint64_t));
  if (!ok || ::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    return failed(std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) return failed(ec.message());
  return {};
}

Result<Sections> parse(std::span<const std::byte> bytes, const Kind& kind, bool verify_checksum,
                       std::shared_ptr<const void> keep_alive) {
  const auto corrupt = [&kind](const std::string& why) {
    return fail(ErrorCode::kCorrupt, prefixed(kind, why));
  };
  Prefix prefix;
  if (bytes.size() < sizeof prefix) return corrupt("shorter than its header");
  std::memcpy(&prefix, bytes.data(), sizeof prefix);
  if (const auto why = check_prefix(prefix, bytes.size(), kind); !why.empty()) return corrupt(why);
  if (verify_checksum) {
    std::vector<std::uint64_t> digests(piece_count(prefix.digests_at));
    std::memcpy(digests.data(), bytes.data() + prefix.digests_at, digests.size() * 8);
    for (std::size_t i = 0; i < digests.size(); ++i) {
      const auto [at, n] = piece(i, prefix.digests_at);
      if (XXH3_64bits(bytes.data() + at, n) != digests[i]) return corrupt("checksum mismatch");
    }
    if (combine(digests) != prefix.checksum) return corrupt("checksum mismatch");
  }
  const auto header = header_size(kind.sections);
  Sections out;
  out.checksum = prefix.checksum;
  out.bytes.reserve(kind.sections);
  for (std::size_t i = 0; i < kind.sections; ++i) {
    Section s;
    std::memcpy(&s, bytes.data() + sizeof(Prefix) + i * sizeof(Section), sizeof s);
    if (s.offset % 8 != 0 || s.offset < header || s.offset > prefix.digests_at ||
        s.size > prefix.digests_at - s.offset) {
      return corrupt("section " + std::to_string(i) + " is out of bounds or misaligned");
    }
    out.bytes.push_back(bytes.subspan(s.offset, s.size));
    out.offsets.push_back(s.offset);
  }
  out.keep_alive = std::move(keep_alive);
  return out;
}

Result<Sections> map(const std::filesystem::path& file, const Kind& kind,
                     std::span<const std::size_t> lazy) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const auto code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    return fail(code, "cannot open " + file.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(ErrorCode::kIo, "cannot stat " + file.string() + ": " + std::strerror(errno));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto corrupt = [&](const std::string& why) {
    return fail(ErrorCode::kCorrupt, prefixed(kind, why + " (" + file.string() + ")"));
  };
  const auto unreadable = [&]() {
    return fail(ErrorCode::kIo, "cannot read " + file.string() + ": " + std::strerror(errno));
  };
  Prefix prefix;
  if (size < sizeof(Prefix)) return corrupt("too short");
  if (!read_all(fd.get(), &prefix, sizeof prefix, 0)) return unreadable();
  if (const auto why = check_prefix(prefix, size, kind); !why.empty()) return corrupt(why);
  std::vector<std::uint64_t> digests(piece_count(prefix.digests_at));
  if (!read_all(fd.get(), digests.data(), digests.size() * 8, prefix.digests_at)) {
    return unreadable();
  }
  if (combine(digests) != prefix.checksum) return corrupt("checksum mismatch");
  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) {
    return fail(ErrorCode::kIo, "cannot map " + file.string() + ": " + std::strerror(errno));
  }
  const int kept_fd = fd.get();
  auto mapping = std::make_shared<Mapping>(address, size, fd.release());
  const auto& pieces =
      mapping->pieces.emplace(kept_fd, static_cast<const std::byte*>(address), std::move(digests),
                              prefix.digests_at, std::string(kind.what) + " " + file.string());
  // The header's pieces first, so that the section table is trusted before it places the lazy
  // ones; then every other piece outside them, through the descriptor (a pass that leaves
  // resident memory as it was); the map is then only read where the searches touch it.
  if (!pieces.verify(0, header_size(kind.sections))) return corrupt("checksum mismatch");
  auto sections = parse({static_cast<const std::byte*>(address), size}, kind,
                        /*verify_checksum=*/false, mapping);
  if (!sections) {
    return fail(sections.error().code, sections.error().message + " (" + file.string() + ")");
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> lazy_ranges;
  for (const auto id : lazy) {
    if (id < kind.sections)
      lazy_ranges.emplace_back(sections->offsets[id], sections->bytes[id].size());
  }
  if (!pieces.verify_all_but(lazy_ranges)) return corrupt("checksum mismatch");
  sections->identity = identity_from(st);
  sections->fd = kept_fd;
  if (!lazy_ranges.empty()) sections->lazy = &pieces;
  return sections;
}

std::string first_section(std::span<const std::byte> head, std::uint64_t file_size,
                          const Kind& kind) {
  Prefix prefix;
  if (head.size() < header_size(1)) return {};
  std::memcpy(&prefix, head.data(), sizeof prefix);
  if (prefix.magic != kind.magic || prefix.version != kind.version) return {};
  Section s;
  std::memcpy(&s, head.data() + sizeof(Prefix), sizeof s);
  if (s.offset > head.size() || s.size > head.size() - s.offset || s.offset + s.size > file_size) {
    return {};
  }
  return {reinterpret_cast<const char*>(head.data() + s.offset), s.size};
}

std::string first_section(const std::filesystem::path& file, const Kind& kind) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return {};
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // The first section follows the table; a generation is a few dozen bytes.
  std::vector<std::byte> head(std::min<std::uint64_t>(size, header_size(kind.sections) + 8 + 4096));
  if (!read_all(fd.get(), head.data(), head.size(), 0)) return {};
  return first_section(head, size, kind);
}

}  // namespace rag::retrieval::section_file
