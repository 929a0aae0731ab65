// The lexical index file: layout, writer, checked reader (see lexical_file.hpp and
// docs/INDEX-FORMAT.md, "lexical.idx").
#include "retrieval/lexical_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "store/index_reader.hpp"
#include "store/schema.hpp"

namespace rag::retrieval {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the lexical index file is little-endian and read in place");

constexpr std::array<char, 8> kMagic{'R', 'A', 'G', 'L', 'E', 'X', '\0', '\0'};
constexpr std::uint32_t kVersion = 1;

enum SectionId : std::size_t {
  kGeneration,
  kTermOffsets,
  kTermBytes,
  kTerms,
  kPostings,
  kBlocks,
  kRecords,
  kStrings,
  kByUrl,
  kSectionCount
};

struct Section {
  std::uint64_t offset;  // from the start of the file, a multiple of 8
  std::uint64_t size;    // in bytes
};

struct Header {
  std::array<char, 8> magic;
  std::uint64_t checksum;  // XXH3-64 of every byte from offsetof(Header, version) to the end
  std::uint32_t version;
  std::uint32_t section_count;
  std::uint64_t file_size;
  std::uint64_t doc_count;
  double k1;
  std::array<double, kFieldCount> average;
  std::array<double, 2 * kFieldCount> fields;  // weight and b per field, as built
  std::array<Section, kSectionCount> sections;
};
static_assert(sizeof(Header) == 264 && std::is_trivially_copyable_v<Header>);
constexpr std::size_t kChecksummedFrom = offsetof(Header, version);

std::array<double, 2 * kFieldCount> field_params(const Bm25Params& params) {
  std::array<double, 2 * kFieldCount> out{};
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    out[2 * f] = params.fields[f].weight;
    out[2 * f + 1] = params.fields[f].b;
  }
  return out;
}

std::uint64_t aligned(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

template <typename T>
std::span<const std::byte> bytes_of(std::span<const T> s) {
  return std::as_bytes(s);
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

struct XxhState {
  XxhState() : state(XXH3_createState()) { XXH3_64bits_reset(state); }
  ~XxhState() { XXH3_freeState(state); }
  XxhState(const XxhState&) = delete;
  XxhState& operator=(const XxhState&) = delete;
  void add(const void* data, std::size_t size) { XXH3_64bits_update(state, data, size); }
  std::uint64_t digest() const { return XXH3_64bits_digest(state); }
  XXH3_state_t* state;
};

// The file's checksum, read through the descriptor rather than the map: a pass over the whole
// file that leaves the server's resident memory as it was.
Result<std::uint64_t> checksum_of(int fd, std::uint64_t file_size) {
  XxhState hash;
  std::vector<char> buffer(std::size_t{4} << 20);
  for (std::uint64_t at = kChecksummedFrom; at < file_size;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), file_size - at));
    if (!read_all(fd, buffer.data(), n, at)) {
      return fail(ErrorCode::kIo, std::string("cannot read: ") + std::strerror(errno));
    }
    hash.add(buffer.data(), n);
    at += n;
  }
  return hash.digest();
}

struct Mapping {
  Mapping(void* address, std::size_t size) : address(address), size(size) {}
  ~Mapping() { ::munmap(address, size); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  void* address;
  std::size_t size;
};

// Points `out` at the section's bytes as an array of T, or fails naming the section.
template <typename T>
Result<void> take_section(std::span<const T>& out, std::span<const std::byte> bytes,
                          const Header& header, SectionId id, const char* name) {
  const Section s = header.sections[id];
  if (s.offset % 8 != 0 || s.offset < sizeof(Header) || s.offset > bytes.size() ||
      s.size > bytes.size() - s.offset || s.size % sizeof(T) != 0) {
    return fail(ErrorCode::kCorrupt,
                std::string("lexical index: section ") + name + " is out of bounds or misaligned");
  }
  out = std::span<const T>(reinterpret_cast<const T*>(bytes.data() + s.offset), s.size / sizeof(T));
  return {};
}

Result<Header> read_header(std::span<const std::byte> bytes) {
  Header header;
  if (bytes.size() < sizeof(Header)) {
    return fail(ErrorCode::kCorrupt, "lexical index: shorter than its header");
  }
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != kMagic) return fail(ErrorCode::kCorrupt, "lexical index: not one");
  if (header.version != kVersion || header.section_count != kSectionCount) {
    return fail(ErrorCode::kCorrupt, "lexical index: format version " +
                                         std::to_string(header.version) + ", this build reads " +
                                         std::to_string(kVersion));
  }
  if (header.file_size != bytes.size()) {
    return fail(ErrorCode::kCorrupt, "lexical index: truncated or extended (" +
                                         std::to_string(bytes.size()) + " bytes, header says " +
                                         std::to_string(header.file_size) + ")");
  }
  return header;
}

}  // namespace

std::filesystem::path lexical_index_path(const std::filesystem::path& vector_db_path) {
  return vector_db_path / std::string(store::kLexicalFileName);
}

Result<void> save_lexical_index(const LexicalIndex& index, std::string_view generation,
                                const std::filesystem::path& file) {
  const auto& bm25 = index.bm25().parts();
  const auto& chunks = index.chunk_parts();
  const std::array<std::span<const std::byte>, kSectionCount> sections{
      std::as_bytes(std::span(generation)),
      bytes_of(bm25.term_offsets),
      bytes_of(bm25.term_bytes),
      bytes_of(bm25.terms),
      bytes_of(bm25.postings),
      bytes_of(bm25.blocks),
      bytes_of(chunks.records),
      bytes_of(chunks.strings),
      bytes_of(chunks.by_url)};
  Header header{};
  header.magic = kMagic;
  header.version = kVersion;
  header.section_count = kSectionCount;
  header.doc_count = bm25.doc_count;
  header.k1 = bm25.k1;
  header.average = bm25.average;
  header.fields = field_params(Bm25Params{});
  std::uint64_t at = sizeof(Header);
  for (std::size_t i = 0; i < kSectionCount; ++i) {
    header.sections[i] = {at, sections[i].size()};
    at = aligned(at + sections[i].size());
  }
  header.file_size = at;
  static constexpr std::array<std::byte, 8> kPadding{};
  const auto padding = [](std::size_t size) { return aligned(size) - size; };
  XxhState hash;
  hash.add(reinterpret_cast<const char*>(&header) + kChecksummedFrom,
           sizeof(Header) - kChecksummedFrom);
  for (const auto& s : sections) {
    hash.add(s.data(), s.size());
    hash.add(kPadding.data(), padding(s.size()));
  }
  header.checksum = hash.digest();

  auto temporary = file;
  temporary += ".tmp";
  const auto failed = [&](const std::string& why) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return fail(ErrorCode::kIo, "cannot write " + file.string() + ": " + why);
  };
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return failed(std::strerror(errno));
  bool ok = write_all(fd.get(), &header, sizeof header);
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

Result<LexicalIndex> parse_lexical_index(std::span<const std::byte> bytes,
                                         std::string_view generation, bool verify_checksum,
                                         std::shared_ptr<const void> keep_alive) {
  auto header = read_header(bytes);
  if (!header) return std::unexpected(header.error());
  if (verify_checksum && XXH3_64bits(bytes.data() + kChecksummedFrom,
                                     bytes.size() - kChecksummedFrom) != header->checksum) {
    return fail(ErrorCode::kCorrupt, "lexical index: checksum mismatch");
  }
  std::span<const char> stored_generation;
  RAG_TRY(take_section(stored_generation, bytes, *header, kGeneration, "generation"));
  if (std::string_view(stored_generation.data(), stored_generation.size()) != generation) {
    return fail(ErrorCode::kNotFound, "lexical index: written for another index generation");
  }
  if (header->k1 != Bm25Params{}.k1 || header->fields != field_params(Bm25Params{})) {
    return fail(ErrorCode::kNotFound, "lexical index: written with other BM25 parameters");
  }
  Bm25Parts bm25;
  ChunkParts chunks;
  RAG_TRY(take_section(bm25.term_offsets, bytes, *header, kTermOffsets, "term offsets"));
  RAG_TRY(take_section(bm25.term_bytes, bytes, *header, kTermBytes, "term bytes"));
  RAG_TRY(take_section(bm25.terms, bytes, *header, kTerms, "terms"));
  RAG_TRY(take_section(bm25.postings, bytes, *header, kPostings, "postings"));
  RAG_TRY(take_section(bm25.blocks, bytes, *header, kBlocks, "blocks"));
  RAG_TRY(take_section(chunks.records, bytes, *header, kRecords, "chunk records"));
  RAG_TRY(take_section(chunks.strings, bytes, *header, kStrings, "strings"));
  RAG_TRY(take_section(chunks.by_url, bytes, *header, kByUrl, "url order"));
  bm25.doc_count = header->doc_count;
  bm25.k1 = header->k1;
  bm25.average = header->average;
  return LexicalIndex::view(bm25, chunks, std::move(keep_alive));
}

Result<LexicalIndex> load_lexical_index(const std::filesystem::path& file,
                                        std::string_view generation) {
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
  if (size < sizeof(Header)) return fail(ErrorCode::kCorrupt, "lexical index: too short");
  // The checksum first, through the descriptor (see checksum_of); the map is then only read
  // where searches and the structure checks touch it.
  std::array<std::byte, sizeof(Header)> head{};
  if (!read_all(fd.get(), head.data(), head.size(), 0)) {
    return fail(ErrorCode::kIo, "cannot read " + file.string() + ": " + std::strerror(errno));
  }
  std::uint64_t stored_checksum = 0;
  std::memcpy(&stored_checksum, head.data() + offsetof(Header, checksum), sizeof stored_checksum);
  auto checksum = checksum_of(fd.get(), size);
  if (!checksum) return std::unexpected(checksum.error());
  if (*checksum != stored_checksum) {
    return fail(ErrorCode::kCorrupt, "lexical index " + file.string() + ": checksum mismatch");
  }
  void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) {
    return fail(ErrorCode::kIo, "cannot map " + file.string() + ": " + std::strerror(errno));
  }
  auto mapping = std::make_shared<const Mapping>(address, size);
  auto index = parse_lexical_index({static_cast<const std::byte*>(address), size}, generation,
                                   /*verify_checksum=*/false, mapping);
  if (!index) {
    return fail(index.error().code, index.error().message + " (" + file.string() + ")");
  }
  return index;
}

std::string saved_lexical_generation(std::span<const std::byte> head, std::uint64_t file_size) {
  Header header;
  if (head.size() < sizeof header) return {};
  std::memcpy(&header, head.data(), sizeof header);
  if (header.magic != kMagic || header.version != kVersion) return {};
  const Section s = header.sections[kGeneration];
  if (s.offset > head.size() || s.size > head.size() - s.offset || s.offset + s.size > file_size) {
    return {};
  }
  return {reinterpret_cast<const char*>(head.data() + s.offset), s.size};
}

std::string saved_lexical_generation(const std::filesystem::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return {};
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // The generation section follows the header; a generation is a few dozen bytes.
  std::vector<std::byte> head(std::min<std::uint64_t>(size, sizeof(Header) + 4096));
  if (!read_all(fd.get(), head.data(), head.size(), 0)) return {};
  return saved_lexical_generation(head, size);
}

Result<LexicalUpdate> update_lexical_index(const std::filesystem::path& vector_db_path) {
  const auto start = std::chrono::steady_clock::now();
  const auto file = lexical_index_path(vector_db_path);
  auto reader = store::IndexReader::open(vector_db_path);
  if (!reader) return std::unexpected(reader.error());
  auto generation = (*reader)->content_generation();
  if (!generation) return std::unexpected(generation.error());
  LexicalUpdate update;
  if (saved_lexical_generation(file) == *generation) {
    if (auto current = load_lexical_index(file, *generation)) {
      update.chunks = current->size();
      return update;
    } else {
      spdlog::warn("Rewriting {}: {}", file.string(), current.error().message);
    }
  }
  LexicalIndex::Builder builder;
  RAG_TRY((*reader)->visit_chunks(store::IndexReader::Columns::kEverything,
                                  [&builder](store::StoredChunk&& chunk) -> Result<void> {
                                    builder.add(chunk);
                                    return {};
                                  }));
  const auto index = std::move(builder).build();
  RAG_TRY(save_lexical_index(index, *generation, file));
  update.written = true;
  update.chunks = index.size();
  update.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("Stored the lexical index in {} ({} chunks, {:.1f}s)", file.string(), update.chunks,
               update.seconds);
  return update;
}

}  // namespace rag::retrieval
