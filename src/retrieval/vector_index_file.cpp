// The stored vector index file (vector_index.hpp: VectorIndex::save, load, saved_stamp), format
// 4 (docs/INDEX-FORMAT.md): four text lines (format name, stamp, "count dimension bytes",
// model), FAISS's own serialisation of `bytes` bytes (for IVF, of the index with empty lists:
// its trained quantizers), for IVF the lists (u64 sizes, then each list's ids and codes), and
// `count` rows and row ids (little-endian). An IVF index's lists are outside FAISS's part so
// that the indexer's incremental update can read the quantizers alone (Part::kTrained); FAISS
// 1.7.3's reader cannot skip them. The length is checked before FAISS reads: FAISS 1.7.3 leaks
// what it allocated when a read fails half way, and a file cut short is the likely damage.
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#include <faiss/invlists/InvertedLists.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "retrieval/faiss_layout.hpp"
#include "retrieval/faiss_settings.hpp"
#include "retrieval/vector_index.hpp"

namespace rag::retrieval {

using idx_t = faiss::Index::idx_t;

namespace {

constexpr std::string_view kFileFormat = "rag-server vector index 4";

// `ivf` without its vectors: the same trained quantizers (shared, not owned) over empty lists,
// which is what FAISS serialises of an IVF index in a saved file.
std::unique_ptr<faiss::IndexIVFScalarQuantizer> trained_part(
    const faiss::IndexIVFScalarQuantizer& ivf) {
  auto shell = std::make_unique<faiss::IndexIVFScalarQuantizer>(
      ivf.quantizer, ivf.d, ivf.nlist, ivf.sq.qtype, faiss::METRIC_INNER_PRODUCT,
      /*by_residual=*/false);
  shell->sq = ivf.sq;
  shell->is_trained = true;
  return shell;
}

// The lists after FAISS's part: each list's size (u64), then each list's ids (i64) and codes.
bool write_lists(const faiss::IndexIVFScalarQuantizer& ivf, std::FILE* f) {
  const auto& lists = dynamic_cast<const faiss::ArrayInvertedLists&>(*ivf.invlists);
  for (std::size_t l = 0; l < ivf.nlist; ++l) {
    const std::uint64_t size = lists.ids[l].size();
    if (std::fwrite(&size, sizeof size, 1, f) != 1) return false;
  }
  for (std::size_t l = 0; l < ivf.nlist; ++l) {
    const auto& ids = lists.ids[l];
    const auto& codes = lists.codes[l];
    if (std::fwrite(ids.data(), sizeof(idx_t), ids.size(), f) != ids.size() ||
        std::fwrite(codes.data(), 1, codes.size(), f) != codes.size()) {
      return false;
    }
  }
  return true;
}

// Reads what write_lists wrote into `ivf`'s empty lists, `count` entries in all; false when the
// sizes do not add up to it or the file ends first.
bool read_lists(faiss::IndexIVFScalarQuantizer& ivf, std::size_t count, std::FILE* f) {
  auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(ivf.invlists);
  if (lists == nullptr || lists->ids.size() != ivf.nlist) return false;
  std::vector<std::uint64_t> sizes(ivf.nlist);
  if (std::fread(sizes.data(), sizeof(std::uint64_t), sizes.size(), f) != sizes.size()) {
    return false;
  }
  std::uint64_t total = 0;
  for (const auto size : sizes) {
    if (size > count - total) return false;
    total += size;
  }
  if (total != count) return false;
  for (std::size_t l = 0; l < ivf.nlist; ++l) {
    lists->ids[l].resize(sizes[l]);
    lists->codes[l].resize(sizes[l] * ivf.code_size);
    if (std::fread(lists->ids[l].data(), sizeof(idx_t), sizes[l], f) != sizes[l] ||
        std::fread(lists->codes[l].data(), 1, lists->codes[l].size(), f) !=
            lists->codes[l].size()) {
      return false;
    }
  }
  ivf.ntotal = static_cast<idx_t>(count);
  return true;
}

using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_file(const std::filesystem::path& path, const char* mode) {
  return File(std::fopen(path.c_str(), mode), &std::fclose);
}

// One '\n'-terminated line, without it; false at the end of the file or past `limit` bytes.
bool read_line(std::FILE* f, std::string& line, std::size_t limit = 1024) {
  line.clear();
  for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) {
    if (c == '\n') return true;
    if (line.size() == limit) return false;
    line.push_back(static_cast<char>(c));
  }
  return false;
}

struct FileHeader {
  std::string stamp;
  std::string model;
  std::size_t count = 0;
  int dimension = 0;
  unsigned long long bytes = 0;  // of FAISS's part, which follows the header
};

// The third line, fixed width so that save() can fill `bytes` in once FAISS has written.
std::string shape_line(std::size_t count, int dimension, unsigned long long bytes) {
  char line[64];
  std::snprintf(line, sizeof line, "%zu %d %020llu\n", count, dimension, bytes);
  return line;
}

// Leaves `f` at the first byte after the header.
std::optional<FileHeader> read_header(std::FILE* f) {
  std::string format, stamp, shape, model;
  if (!read_line(f, format) || format != kFileFormat || !read_line(f, stamp) ||
      !read_line(f, shape) || !read_line(f, model)) {
    return std::nullopt;
  }
  unsigned long long count = 0, bytes = 0;
  int dimension = 0;
  if (std::sscanf(shape.c_str(), "%llu %d %llu", &count, &dimension, &bytes) != 3) {
    return std::nullopt;
  }
  return FileHeader{std::move(stamp), std::move(model), static_cast<std::size_t>(count), dimension,
                    bytes};
}

}  // namespace

Result<void> VectorIndex::save(const std::filesystem::path& file, std::string_view stamp,
                               const Saved& saved) const {
  if (stamp.find('\n') != std::string_view::npos ||
      saved.model.find('\n') != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "a vector index stamp and model are one line");
  }
  if ((!saved.rows.empty() && saved.rows.size() != count_) ||
      (!saved.row_ids.empty() && saved.row_ids.size() != count_)) {
    return fail(ErrorCode::kInvalidArgument, "a vector index saves one row per vector");
  }
  if (changes_) {
    return fail(ErrorCode::kInvalidArgument,
                "an index with changes is stored as its base and the changes (vector_changes.hpp)");
  }
  auto rows = saved.rows;
  auto row_ids = saved.row_ids;
  std::vector<std::uint32_t> identity;
  if (rows.empty()) {
    identity.resize(count_);
    for (std::size_t i = 0; i < count_; ++i) identity[i] = static_cast<std::uint32_t>(i);
    rows = identity;
  }
  const std::vector<std::int64_t> unknown(row_ids.empty() ? count_ : 0, -1);
  if (row_ids.empty()) row_ids = unknown;
  auto temporary = file;
  temporary += ".tmp";
  auto failed = [&](const std::string& why) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return fail(ErrorCode::kIo, "cannot write " + file.string() + ": " + why);
  };
  File f = open_file(temporary, "wb");
  if (!f) return failed(std::strerror(errno));
  const std::string head = std::string(kFileFormat) + "\n" + std::string(stamp) + "\n";
  const std::string model_line = std::string(saved.model) + "\n";
  const std::string header = head + shape_line(count_, dimension_, 0) + model_line;
  if (std::fwrite(header.data(), 1, header.size(), f.get()) != header.size()) {
    return failed(std::strerror(errno));
  }
  const auto* ivf = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index_.get());
  try {
    if (ivf != nullptr) {
      faiss::write_index(trained_part(*ivf).get(), f.get());
    } else {
      faiss::write_index(index_.get(), f.get());
    }
  } catch (const faiss::FaissException& e) {
    return failed(e.what());
  }
  const long end = std::ftell(f.get());
  const std::string shape =
      shape_line(count_, dimension_, static_cast<unsigned long long>(end) - header.size());
  // Little-endian, as every machine this is built for (static_assert in load()).
  if (end < 0 || (ivf != nullptr && !write_lists(*ivf, f.get())) ||
      std::fwrite(rows.data(), sizeof(std::uint32_t), rows.size(), f.get()) != rows.size() ||
      std::fwrite(row_ids.data(), sizeof(std::int64_t), row_ids.size(), f.get()) !=
          row_ids.size() ||
      std::fseek(f.get(), static_cast<long>(head.size()), SEEK_SET) != 0 ||
      std::fwrite(shape.data(), 1, shape.size(), f.get()) != shape.size()) {
    return failed(std::strerror(errno));
  }
  if (std::fflush(f.get()) != 0 || ::fsync(::fileno(f.get())) != 0) {
    return failed(std::strerror(errno));
  }
  if (std::fclose(f.release()) != 0) return failed(std::strerror(errno));
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) return failed(ec.message());
  return {};
}
std::string VectorIndex::saved_stamp(const std::filesystem::path& file) {
  File f = open_file(file, "rb");
  if (!f) return {};
  auto header = read_header(f.get());
  return header ? header->stamp : std::string();
}

Result<StoredVectors> VectorIndex::load(const std::filesystem::path& file, std::string_view stamp,
                                        int dimension, const VectorIndexOptions& options,
                                        Part part) {
  static_assert(std::endian::native == std::endian::little, "rows are stored little-endian");
  File f = open_file(file, "rb");
  if (!f) {
    const auto code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kCorrupt;
    return fail(code, file.string() + ": " + std::strerror(errno));
  }
  const auto header = read_header(f.get());
  if (!header) return fail(ErrorCode::kCorrupt, file.string() + ": not a vector index file");
  if (!stamp.empty() && header->stamp != stamp) {
    return fail(ErrorCode::kCorrupt, file.string() + " was built for other vectors (" +
                                         header->stamp + "; the index has " + std::string(stamp) +
                                         ")");
  }
  if (header->dimension != dimension || dimension <= 0) {
    return fail(ErrorCode::kCorrupt, file.string() + " holds vectors of dimension " +
                                         std::to_string(header->dimension) + ", the index " +
                                         std::to_string(dimension));
  }
  const long data_start = std::ftell(f.get());
  const auto rows_bytes = static_cast<unsigned long long>(header->count) *
                          (sizeof(std::uint32_t) + sizeof(std::int64_t));
  const auto faiss_end = static_cast<unsigned long long>(data_start) + header->bytes;
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  const auto cut = [&](unsigned long long expected) {
    return fail(ErrorCode::kCorrupt, file.string() + ": " + std::to_string(size) +
                                         " bytes, its header says " + std::to_string(expected) +
                                         " (cut short or appended to)");
  };
  // The lists (IVF) lie between FAISS's part and the rows: their size is checked once FAISS
  // has said how many there are.
  if (ec || data_start < 0 || header->count > (1ULL << 32) || header->bytes > size ||
      size < faiss_end + rows_bytes) {
    return cut(faiss_end + rows_bytes);
  }
  const auto lists_bytes = size - faiss_end - rows_bytes;
  // FAISS trusts its files (faiss_layout.hpp): its part is checked byte by byte first.
  std::ifstream in(file, std::ios::binary);
  in.seekg(data_start);
  const auto layout = check_faiss_layout(in, header->bytes, file.string(), FaissKinds::kStored);
  if (!layout) {
    return fail(ErrorCode::kCorrupt, layout.error().code == ErrorCode::kInvalidArgument
                                         ? file.string() + " holds a FAISS " +
                                               layout.error().message +
                                               ", which this server does not read"
                                         : layout.error().message);
  }
  if (layout->dimension != dimension ||
      (layout->tag != "IwSq" && layout->count != static_cast<std::int64_t>(header->count))) {
    return fail(ErrorCode::kCorrupt,
                file.string() + ": its FAISS part holds " + std::to_string(layout->count) +
                    " vectors of dimension " + std::to_string(layout->dimension) + ", its header " +
                    std::to_string(header->count) + " of dimension " + std::to_string(dimension));
  }
  configure_faiss_once();
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(f.get()));
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kCorrupt, file.string() + ": " + e.what());
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kCorrupt, file.string() + ": out of memory reading it");
  }
  if (std::ftell(f.get()) != static_cast<long>(faiss_end)) {
    return fail(ErrorCode::kCorrupt, file.string() +
                                         ": FAISS's part is not of the size its "
                                         "header says");
  }
  auto* ivf = dynamic_cast<faiss::IndexIVFScalarQuantizer*>(index.get());
  const auto expected_lists =
      ivf == nullptr ? 0ULL
                     : ivf->nlist * sizeof(std::uint64_t) +
                           header->count * (sizeof(idx_t) + static_cast<std::size_t>(dimension));
  if (lists_bytes != expected_lists) return cut(faiss_end + expected_lists + rows_bytes);
  if (part == Part::kTrained && ivf == nullptr) {
    return fail(ErrorCode::kInvalidArgument, file.string() + " holds no IVF index");
  }
  std::size_t count = header->count;
  if (part == Part::kTrained) {
    count = 0;
  } else if (ivf != nullptr && !read_lists(*ivf, header->count, f.get())) {
    return fail(ErrorCode::kCorrupt, file.string() + ": its lists do not add up to its vectors");
  }
  StoredVectors out;
  out.stamp = header->stamp;
  out.model = header->model;
  out.rows.resize(header->count);
  out.row_ids.resize(header->count);
  if (std::fseek(f.get(), static_cast<long>(faiss_end + lists_bytes), SEEK_SET) != 0 ||
      std::fread(out.rows.data(), sizeof(std::uint32_t), out.rows.size(), f.get()) !=
          out.rows.size() ||
      std::fread(out.row_ids.data(), sizeof(std::int64_t), out.row_ids.size(), f.get()) !=
          out.row_ids.size()) {
    return fail(ErrorCode::kCorrupt, file.string() + ": its rows cannot be read");
  }
  out.index = adopt(std::move(index), count, dimension, options);
  if (!out.index) {
    return fail(ErrorCode::kCorrupt, file.string() + ": its content does not match its header");
  }
  return out;
}
}  // namespace rag::retrieval
