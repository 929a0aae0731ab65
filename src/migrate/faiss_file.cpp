// FAISS adapter of the import (see faiss_file.hpp): read_index, a type check, reconstruct_n.
#include "migrate/faiss_file.hpp"

#include <cxxabi.h>
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <typeinfo>

namespace rag::migrate {
namespace {

constexpr std::int32_t kMaxDimension = 65536;

std::string type_name(const faiss::Index& index) {
  const char* mangled = typeid(index).name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  std::string out = status == 0 && name ? name.get() : mangled;
  if (out.starts_with("faiss::")) out.erase(0, 7);
  return out;
}

// The name to report for an accepted type, or "" when the type is refused.
std::string accepted_type(const faiss::Index& index) {
  if (dynamic_cast<const faiss::IndexHNSWFlat*>(&index)) return "IndexHNSWFlat";
  const auto* flat = dynamic_cast<const faiss::IndexFlat*>(&index);
  if (!flat || dynamic_cast<const faiss::IndexFlat1D*>(&index)) return "";
  if (index.metric_type == faiss::METRIC_INNER_PRODUCT) return "IndexFlatIP";
  if (index.metric_type == faiss::METRIC_L2) return "IndexFlatL2";
  return "";
}

std::string refused(const std::filesystem::path& file, const std::string& type) {
  return file.string() + " holds a FAISS " + type +
         "; import-faiss reads IndexFlatIP (the Python design's), IndexFlatL2 and "
         "IndexHNSWFlat, whose vectors are stored exactly. Re-embed the documents "
         "with `rag-server index PATH...` instead";
}

// Checks the file's type tag and the header that follows it (faiss/impl/index_write.cpp:
// tag[4], int32 d, int64 ntotal) before FAISS parses the file, so a file that is not an exact
// store, or that claims more vectors than it holds, never makes FAISS allocate for them.
Result<void> check_header(const std::filesystem::path& file) {
  static const std::map<std::string, std::string> kRefused = {{"IxSQ", "IndexScalarQuantizer"},
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
                                                              {"IxRF", "IndexRefine"}};
  std::ifstream in(file, std::ios::binary);
  char head[16] = {};
  in.read(head, sizeof head);
  if (in.gcount() != sizeof head)
    return fail(ErrorCode::kCorrupt, file.string() + " is too short for a FAISS index");
  const std::string tag(head, 4);
  if (tag != "IxFI" && tag != "IxF2" && tag != "IHNf") {
    if (auto it = kRefused.find(tag); it != kRefused.end()) {
      return fail(ErrorCode::kInvalidArgument, refused(file, it->second));
    }
    return fail(ErrorCode::kCorrupt, file.string() + " is not a FAISS index import-faiss knows");
  }
  std::int32_t d = 0;
  std::int64_t ntotal = 0;
  std::memcpy(&d, head + 4, sizeof d);
  std::memcpy(&ntotal, head + 8, sizeof ntotal);
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (d <= 0 || d > kMaxDimension || ntotal < 0 ||
      static_cast<unsigned __int128>(ntotal) * static_cast<unsigned>(d) * sizeof(float) > size) {
    return fail(ErrorCode::kCorrupt, file.string() + " claims " + std::to_string(ntotal) +
                                         " vectors of dimension " + std::to_string(d) +
                                         ", more than its " + std::to_string(size) +
                                         " bytes can hold");
  }
  return {};
}

}  // namespace

Result<FaissVectors> read_faiss_vectors(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(ErrorCode::kNotFound, "no " + file.string());
  }
  if (auto r = check_header(file); !r) return std::unexpected(r.error());
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(file.c_str()));
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kCorrupt,
                file.string() + " is not a FAISS index FAISS can read: " + std::string(e.msg));
  } catch (const std::exception& e) {
    return fail(ErrorCode::kCorrupt, file.string() + " could not be read by FAISS: " + e.what());
  }
  if (!index) return fail(ErrorCode::kCorrupt, file.string() + ": FAISS returned no index");

  FaissVectors out;
  out.index_type = accepted_type(*index);
  if (out.index_type.empty()) {
    return fail(ErrorCode::kInvalidArgument, refused(file, type_name(*index)));
  }
  if (index->d <= 0)
    return fail(ErrorCode::kCorrupt, file.string() + ": dimension is not positive");
  out.dimension = index->d;
  out.count = static_cast<std::size_t>(index->ntotal);
  out.inner_product = index->metric_type == faiss::METRIC_INNER_PRODUCT;
  try {
    out.data.resize(out.count * static_cast<std::size_t>(out.dimension));
    if (out.count > 0) index->reconstruct_n(0, index->ntotal, out.data.data());
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kCorrupt, file.string() + ": cannot read its vectors: " + e.msg);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kCorrupt, file.string() + ": cannot read its vectors: " + e.what());
  }
  for (float x : out.data) {
    if (!std::isfinite(x)) {
      return fail(ErrorCode::kCorrupt, file.string() + " holds a vector with NaN or infinity");
    }
  }
  return out;
}

std::size_t count_non_unit_rows(const FaissVectors& vectors, double tolerance) {
  std::size_t n = 0;
  const auto d = static_cast<std::size_t>(vectors.dimension);
  for (std::size_t row = 0; row < vectors.count; ++row) {
    double sum = 0;
    for (std::size_t i = 0; i < d; ++i) {
      const double x = vectors.data[row * d + i];
      sum += x * x;
    }
    if (std::abs(std::sqrt(sum) - 1.0) > tolerance) ++n;
  }
  return n;
}

}  // namespace rag::migrate
