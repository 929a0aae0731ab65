// FAISS file layout check (see faiss_layout.hpp).
#include "migrate/faiss_layout.hpp"

#include <cstring>
#include <map>

namespace rag::migrate {
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
class Cursor {
 public:
  Cursor(std::istream& in, std::uint64_t size, const std::string& name)
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

Result<void> check_header(Cursor& c, FaissLayout& out, const char* which) {
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
  return {};
}

Result<FaissLayout> check_flat(Cursor& c, const std::string& tag, const char* which) {
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

Result<void> check_graph(Cursor& c, const FaissLayout& outer) {
  std::uint64_t n = 0, levels = 0, offsets = 0;
  const bool fits = c.vector(8, n) && c.vector(4, n) && c.vector(4, levels) &&
                    c.vector(8, offsets) && c.vector(4, n) && c.skip(5 * 4);
  if (!fits) return std::unexpected(c.corrupt("ends inside its HNSW graph"));
  if (levels != static_cast<std::uint64_t>(outer.count) ||
      offsets != static_cast<std::uint64_t>(outer.count) + 1)
    return std::unexpected(c.corrupt("has an HNSW graph whose size differs from its vectors"));
  return {};
}

}  // namespace

Result<FaissLayout> check_faiss_layout(std::istream& in, std::uint64_t size,
                                       const std::string& name) {
  Cursor c(in, size, name);
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
    char nested[4];
    if (!c.read(nested)) return std::unexpected(c.corrupt("ends before its HNSW storage"));
    const std::string storage_tag(nested, 4);
    if (storage_tag != (hnsw.inner_product ? "IxFI" : "IxF2"))
      return std::unexpected(c.corrupt("has an HNSW storage of another kind (" + storage_tag +
                                       ") than an exact store of its metric"));
    auto storage = check_flat(c, storage_tag, "HNSW storage");
    if (!storage) return std::unexpected(storage.error());
    if (storage->dimension != hnsw.dimension || storage->count != hnsw.count)
      return std::unexpected(c.corrupt(
          "has an HNSW storage of " + std::to_string(storage->count) + " vectors of dimension " +
          std::to_string(storage->dimension) + " under a header of " + std::to_string(hnsw.count) +
          " of dimension " + std::to_string(hnsw.dimension)));
    out = hnsw;
  } else if (auto it = refused_types().find(tag); it != refused_types().end()) {
    return fail(ErrorCode::kInvalidArgument, it->second);
  } else {
    return std::unexpected(c.corrupt("is not a FAISS index import-faiss knows"));
  }
  if (out && c.left() != 0)
    return std::unexpected(c.corrupt("has " + std::to_string(c.left()) + " bytes after its index"));
  return out;
}

}  // namespace rag::migrate
