// FAISS file layout check (see faiss_layout.hpp).
#include "retrieval/faiss_layout.hpp"

#include <cstring>
#include <map>

namespace rag::retrieval {
namespace {

constexpr std::int32_t kMaxDimension = 65536;

const std::map<std::string, std::string>& refused_types() {
  static const std::map<std::string, std::string> kRefused = {
      {"IxSQ", "IndexScalarQuantizer"},
      {"IxPq", "IndexPQ"},
      {"IwFl", "IndexIVFFlat"},
      {"IvFl", "IndexIVFFlat"},
      {"IvPQ", "IndexIVFPQ"},
      {"IwPQ", "IndexIVFPQ"},
      {"IwSq", "IndexIVFScalarQuantizer"},
      {"IxMp", "IndexIDMap"},
      {"IxM2", "IndexIDMap2"},
      {"IHNp", "IndexHNSWPQ"},
      {"IHNs", "IndexHNSWSQ"},
      {"IxPT", "IndexPreTransform"},
      {"IxLS", "IndexLSH"},
      {"IxHe", "IndexLSH"},
      {"IxRF", "IndexRefine"},
      {"IHN2", "IndexHNSW2Level"},
      {"IxFl", "IndexFlat with another metric"}};
  return kRefused;
}

// Reads the stream while counting what is left, so no length is believed beyond it.
class LayoutCursor {
 public:
  LayoutCursor(std::istream& in, std::uint64_t size, const std::string& name)
      : in_(in), left_(size), name_(name) {}

  template <class T>
  bool read(T& out) {
    if (left_ < sizeof(T) || !in_.read(reinterpret_cast<char*>(&out), sizeof(T))) return false;
    left_ -= sizeof(T);
    return true;
  }
  // A FAISS vector: its count, then count × item bytes, skipped. False when it does not fit.
  bool vector(std::size_t item, std::uint64_t& count) {
    if (!read(count) || count > left_ / item) return false;
    return skip(count * item);
  }
  bool skip(std::uint64_t n) {
    if (n > left_ || !in_.seekg(static_cast<std::streamoff>(n), std::ios::cur)) return false;
    left_ -= n;
    return true;
  }
  std::uint64_t left() const { return left_; }
  Error corrupt(const std::string& what) const {
    return Error{ErrorCode::kCorrupt, name_ + " " + what, 0};
  }

 private:
  std::istream& in_;
  std::uint64_t left_;
  const std::string& name_;
};

Result<void> check_header(LayoutCursor& c, FaissLayout& out, const char* which) {
  std::int64_t dummy = 0;
  std::uint8_t trained = 0;
  std::int32_t metric = 0;
  if (!c.read(out.dimension) || !c.read(out.count) || !c.read(dummy) || !c.read(dummy) ||
      !c.read(trained) || !c.read(metric))
    return std::unexpected(c.corrupt(std::string("ends inside its ") + which + " header"));
  if (out.dimension <= 0 || out.dimension > kMaxDimension || out.count < 0 || trained > 1)
    return std::unexpected(c.corrupt(std::string("has an impossible ") + which +
                                     " header (d=" + std::to_string(out.dimension) +
                                     ", ntotal=" + std::to_string(out.count) + ")"));
  if (metric != 0 && metric != 1)
    return std::unexpected(
        c.corrupt(std::string("has a ") + which + " metric other than inner product or L2"));
  out.inner_product = metric == 0;
  out.trained = trained == 1;
  return {};
}

Result<FaissLayout> check_flat(LayoutCursor& c, const std::string& tag, const char* which) {
  FaissLayout out;
  out.tag = tag;
  RAG_TRY(check_header(c, out, which));
  if (out.inner_product != (tag == "IxFI"))
    return std::unexpected(
        c.corrupt(std::string("has a ") + which + " metric that does not match its type"));
  std::uint64_t floats = 0;
  const auto expected = static_cast<unsigned __int128>(out.count) * out.dimension;
  if (!c.read(floats) || floats != expected || floats > c.left() / 4 || !c.skip(floats * 4))
    return std::unexpected(c.corrupt("claims " + std::to_string(out.count) +
                                     " vectors of dimension " + std::to_string(out.dimension) +
                                     " but does not hold them"));
  return out;
}

Result<void> check_graph(LayoutCursor& c, const FaissLayout& outer) {
  std::uint64_t n = 0, levels = 0, offsets = 0;
  const bool fits = c.vector(8, n) && c.vector(4, n) && c.vector(4, levels) &&
                    c.vector(8, offsets) && c.vector(4, n) && c.skip(5 * 4);
  if (!fits) return std::unexpected(c.corrupt("ends inside its HNSW graph"));
  if (levels != static_cast<std::uint64_t>(outer.count) ||
      offsets != static_cast<std::uint64_t>(outer.count) + 1)
    return std::unexpected(c.corrupt("has an HNSW graph whose size differs from its vectors"));
  return {};
}

// A flat index nested in `outer` (an HNSW's storage, an IVF's quantizer): an exact store of
// the outer index's metric. `which` names it in the messages.
Result<FaissLayout> check_nested_flat(LayoutCursor& c, const FaissLayout& outer,
                                      const std::string& which) {
  char nested[4];
  if (!c.read(nested)) return std::unexpected(c.corrupt("ends before its " + which));
  const std::string tag(nested, 4);
  if (tag != (outer.inner_product ? "IxFI" : "IxF2"))
    return std::unexpected(c.corrupt("has an " + which + " of another kind (" + tag +
                                     ") than an exact store of its metric"));
  return check_flat(c, tag, which.c_str());
}

// The IVF index vectors.faiss holds (faiss_layout.hpp: ivf), after its tag.
Result<FaissLayout> check_ivf(LayoutCursor& c) {
  FaissLayout out;
  out.tag = "IwSq";
  RAG_TRY(check_header(c, out, "index"));
  std::uint64_t nprobe = 0;
  if (!c.read(out.lists) || !c.read(nprobe))
    return std::unexpected(c.corrupt("ends inside its IVF header"));
  if (out.count != 0 || !out.trained || out.lists == 0 || nprobe == 0 || nprobe > out.lists)
    return std::unexpected(c.corrupt(
        "has an impossible IVF header (ntotal=" + std::to_string(out.count) +
        ", nlist=" + std::to_string(out.lists) + ", nprobe=" + std::to_string(nprobe) + ")"));
  auto quantizer = check_nested_flat(c, out, "IVF quantizer");
  if (!quantizer) return std::unexpected(quantizer.error());
  if (quantizer->dimension != out.dimension ||
      static_cast<std::uint64_t>(quantizer->count) != out.lists)
    return std::unexpected(c.corrupt(
        "has an IVF quantizer of " + std::to_string(quantizer->count) + " centroids of dimension " +
        std::to_string(quantizer->dimension) + " under a header of " + std::to_string(out.lists) +
        " lists of dimension " + std::to_string(out.dimension)));
  // The rest holds fixed values but for the trained ranges: the direct map, the scalar
  // quantizer, the code size and residual flag, and the (empty) lists.
  const auto d = static_cast<std::uint64_t>(out.dimension);
  std::uint8_t direct_map = 0, by_residual = 0;
  std::int32_t qtype = 0, rangestat = 0;
  float rangestat_arg = 0;
  std::uint64_t map_size = 0, sq_dimension = 0, sq_code_size = 0, ranges = 0, code_size = 0;
  std::uint64_t list_count = 0, list_code_size = 0, list_sizes = 0;
  char lists_tag[4], sizes_tag[4];
  const bool fits = c.read(direct_map) && c.read(map_size) && c.read(qtype) && c.read(rangestat) &&
                    c.read(rangestat_arg) && c.read(sq_dimension) && c.read(sq_code_size) &&
                    c.vector(4, ranges) && c.read(code_size) && c.read(by_residual) &&
                    c.read(lists_tag) && c.read(list_count) && c.read(list_code_size) &&
                    c.read(sizes_tag) && c.read(list_sizes);
  if (!fits) return std::unexpected(c.corrupt("ends inside its IVF index"));
  const bool as_written =
      direct_map == 0 && map_size == 0 && qtype == 0 && rangestat >= 0 && rangestat <= 3 &&
      sq_dimension == d && sq_code_size == d && ranges == 2 * d && code_size == d &&
      by_residual == 0 && std::string(lists_tag, 4) == "ilar" && list_count == out.lists &&
      list_code_size == d && std::string(sizes_tag, 4) == "sprs" && list_sizes == 0;
  if (!as_written)
    return std::unexpected(
        c.corrupt("is not the IVF index of 8-bit codes and empty lists that rag-server writes"));
  return out;
}

}  // namespace

Result<FaissLayout> check_faiss_layout(std::istream& in, std::uint64_t size,
                                       const std::string& name, FaissKinds kinds) {
  LayoutCursor c(in, size, name);
  char raw[4];
  if (!c.read(raw)) return std::unexpected(c.corrupt("is too short for a FAISS index"));
  const std::string tag(raw, 4);
  Result<FaissLayout> out = std::unexpected(Error{});
  if (tag == "IxFI" || tag == "IxF2") {
    out = check_flat(c, tag, "index");
  } else if (tag == "IHNf") {
    FaissLayout hnsw;
    hnsw.tag = tag;
    RAG_TRY(check_header(c, hnsw, "index"));
    RAG_TRY(check_graph(c, hnsw));
    auto storage = check_nested_flat(c, hnsw, "HNSW storage");
    if (!storage) return std::unexpected(storage.error());
    if (storage->dimension != hnsw.dimension || storage->count != hnsw.count)
      return std::unexpected(c.corrupt(
          "has an HNSW storage of " + std::to_string(storage->count) + " vectors of dimension " +
          std::to_string(storage->dimension) + " under a header of " + std::to_string(hnsw.count) +
          " of dimension " + std::to_string(hnsw.dimension)));
    out = hnsw;
  } else if (tag == "IwSq" && kinds == FaissKinds::kStored) {
    out = check_ivf(c);
  } else if (auto it = refused_types().find(tag); it != refused_types().end()) {
    return fail(ErrorCode::kInvalidArgument, it->second);
  } else {
    return std::unexpected(c.corrupt("is not a FAISS index this server reads"));
  }
  if (out && c.left() != 0)
    return std::unexpected(c.corrupt("has " + std::to_string(c.left()) + " bytes after its index"));
  return out;
}

}  // namespace rag::retrieval
