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
#include <thread>

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
};
static_assert(sizeof(Prefix) == 32 && std::is_trivially_copyable_v<Prefix>);
constexpr std::size_t kChecksummedFrom = offsetof(Prefix, version);

struct Section {
  std::uint64_t offset;  // from the start of the file, a multiple of 8
  std::uint64_t size;    // in bytes
};

std::uint64_t aligned(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

std::uint64_t header_size(std::size_t sections) {
  return sizeof(Prefix) + sections * sizeof(Section);
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

// The checksum: XXH3-64 of the XXH3-64 digests of consecutive pieces of kPiece bytes of
// everything from `version` to the end (the last piece may be shorter), so that a reader can
// hash the pieces of a large file on every core.
constexpr std::size_t kPiece = std::size_t{16} << 20;

std::uint64_t combine(const std::vector<std::uint64_t>& digests) {
  return XXH3_64bits(digests.data(), digests.size() * sizeof(std::uint64_t));
}

// The checksum of bytes given in order, in any number of calls.
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
  std::uint64_t digest() {
    if (filled_ > 0) finish_piece();
    return combine(digests_);
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

std::uint64_t checksum_of(std::span<const std::byte> bytes) {
  std::vector<std::uint64_t> digests;
  for (std::size_t at = kChecksummedFrom; at < bytes.size(); at += kPiece) {
    digests.push_back(XXH3_64bits(bytes.data() + at, std::min(kPiece, bytes.size() - at)));
  }
  return combine(digests);
}

// The file's checksum, read through the descriptor rather than the map (a pass over the whole
// file that leaves the server's resident memory as it was), its pieces on up to four threads.
Result<std::uint64_t> checksum_of(int fd, std::uint64_t file_size) {
  const std::size_t pieces =
      file_size > kChecksummedFrom ? (file_size - kChecksummedFrom + kPiece - 1) / kPiece : 0;
  std::vector<std::uint64_t> digests(pieces);
  const auto threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
  std::vector<int> errors(threads, 0);
  const auto hash_pieces = [&](std::size_t first) {
    std::vector<char> buffer(kPiece);
    for (std::size_t i = first; i < pieces; i += threads) {
      const std::uint64_t at = kChecksummedFrom + std::uint64_t{i} * kPiece;
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kPiece, file_size - at));
      if (!read_all(fd, buffer.data(), n, at)) {
        errors[first] = errno == 0 ? EIO : errno;
        return;
      }
      digests[i] = XXH3_64bits(buffer.data(), n);
    }
  };
  {
    std::vector<std::jthread> workers;
    for (std::size_t t = 1; t < std::min(threads, pieces); ++t)
      workers.emplace_back(hash_pieces, t);
    hash_pieces(0);
  }
  for (const int error : errors) {
    if (error != 0)
      return fail(ErrorCode::kIo, std::string("cannot read: ") + std::strerror(error));
  }
  return combine(digests);
}

// The map and the descriptor, for sections read with pread(2) rather than through the map.
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
};

FileIdentity identity_from(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::uint64_t>(st.st_size),
          std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string prefixed(const Kind& kind, const std::string& why) {
  return std::string(kind.what) + ": " + why;
}

}  // namespace

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
  prefix.file_size = at;
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
  prefix.checksum = hash.digest();

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
  if (prefix.magic != kind.magic) return corrupt("not one");
  if (prefix.version != kind.version || prefix.section_count != kind.sections) {
    return corrupt("format version " + std::to_string(prefix.version) + ", this build reads " +
                   std::to_string(kind.version));
  }
  if (prefix.file_size != bytes.size()) {
    return corrupt("truncated or extended (" + std::to_string(bytes.size()) +
                   " bytes, header says " + std::to_string(prefix.file_size) + ")");
  }
  const auto header = header_size(kind.sections);
  if (bytes.size() < header) return corrupt("shorter than its section table");
  if (verify_checksum && checksum_of(bytes) != prefix.checksum) {
    return corrupt("checksum mismatch");
  }
  Sections out;
  out.checksum = prefix.checksum;
  out.bytes.reserve(kind.sections);
  for (std::size_t i = 0; i < kind.sections; ++i) {
    Section s;
    std::memcpy(&s, bytes.data() + sizeof(Prefix) + i * sizeof(Section), sizeof s);
    if (s.offset % 8 != 0 || s.offset < header || s.offset > bytes.size() ||
        s.size > bytes.size() - s.offset) {
      return corrupt("section " + std::to_string(i) + " is out of bounds or misaligned");
    }
    out.bytes.push_back(bytes.subspan(s.offset, s.size));
    out.offsets.push_back(s.offset);
  }
  out.keep_alive = std::move(keep_alive);
  return out;
}

Result<Sections> map(const std::filesystem::path& file, const Kind& kind) {
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
  if (size < sizeof(Prefix)) {
    return fail(ErrorCode::kCorrupt, prefixed(kind, "too short (" + file.string() + ")"));
  }
  Prefix prefix;
  if (!read_all(fd.get(), &prefix, sizeof prefix, 0)) {
    return fail(ErrorCode::kIo, "cannot read " + file.string() + ": " + std::strerror(errno));
  }
  // The checksum first, through the descriptor (see checksum_of); the map is then only read
  // where searches and the structure checks touch it.
  auto checksum = checksum_of(fd.get(), size);
  if (!checksum) return std::unexpected(checksum.error());
  if (*checksum != prefix.checksum) {
    return fail(ErrorCode::kCorrupt, prefixed(kind, "checksum mismatch (" + file.string() + ")"));
  }
  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) {
    return fail(ErrorCode::kIo, "cannot map " + file.string() + ": " + std::strerror(errno));
  }
  const int kept_fd = fd.get();
  auto mapping = std::make_shared<const Mapping>(address, size, fd.release());
  auto sections = parse({static_cast<const std::byte*>(address), size}, kind,
                        /*verify_checksum=*/false, mapping);
  if (!sections) {
    return fail(sections.error().code, sections.error().message + " (" + file.string() + ")");
  }
  sections->identity = identity_from(st);
  sections->fd = kept_fd;
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
