// FAISS adapter of the import (see faiss_file.hpp): read_index, a type check, reconstruct_n.
#include "migrate/faiss_file.hpp"

#include <cxxabi.h>
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <sstream>
#include <typeinfo>

#include "retrieval/faiss_layout.hpp"

namespace rag::migrate {
namespace {

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

// The vectors of an index FAISS has read from a file check_faiss_layout accepted.
Result<FaissVectors> vectors_of(faiss::Index& index, const std::string& name) {
  FaissVectors out;
  out.index_type = accepted_type(index);
  if (out.index_type.empty())
    return fail(ErrorCode::kInvalidArgument, refused(name, type_name(index)));
  // Checked again on what FAISS built, before reconstruct_n writes count × d floats.
  if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(&index);
      hnsw &&
      (!hnsw->storage || hnsw->storage->d != index.d || hnsw->storage->ntotal != index.ntotal))
    return fail(ErrorCode::kCorrupt, name + ": its HNSW storage disagrees with its header");
  if (index.d <= 0) return fail(ErrorCode::kCorrupt, name + ": dimension is not positive");
  out.dimension = index.d;
  out.count = static_cast<std::size_t>(index.ntotal);
  out.inner_product = index.metric_type == faiss::METRIC_INNER_PRODUCT;
  try {
    out.data.resize(out.count * static_cast<std::size_t>(out.dimension));
    if (out.count > 0) index.reconstruct_n(0, index.ntotal, out.data.data());
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kCorrupt, name + ": cannot read its vectors: " + e.msg);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kCorrupt, name + ": cannot read its vectors: " + e.what());
  }
  for (float x : out.data) {
    if (!std::isfinite(x))
      return fail(ErrorCode::kCorrupt, name + " holds a vector with NaN or infinity");
  }
  return out;
}

// Layout check, then FAISS's reader (`read` calls faiss::read_index), then the vectors.
template <class ReadIndex>
Result<FaissVectors> read_checked(std::istream& in, std::uint64_t size, const std::string& name,
                                  ReadIndex read) {
  auto layout = retrieval::check_faiss_layout(in, size, name);
  if (!layout) {
    if (layout.error().code == ErrorCode::kInvalidArgument)
      return fail(ErrorCode::kInvalidArgument, refused(name, layout.error().message));
    return std::unexpected(layout.error());
  }
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(read());
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kCorrupt, name + " is not a FAISS index FAISS can read: " + e.msg);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kCorrupt, name + " could not be read by FAISS: " + e.what());
  }
  if (!index) return fail(ErrorCode::kCorrupt, name + ": FAISS returned no index");
  return vectors_of(*index, name);
}

}  // namespace

Result<FaissVectors> read_faiss_vectors(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(ErrorCode::kNotFound, "no " + file.string());
  }
  const auto size = std::filesystem::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) return fail(ErrorCode::kIo, "cannot open " + file.string());
  return read_checked(in, size, file.string(), [&file] { return faiss::read_index(file.c_str()); });
}

Result<FaissVectors> read_faiss_vectors(std::string_view bytes, const std::string& name) {
  std::istringstream in{std::string(bytes)};
  return read_checked(in, bytes.size(), name, [bytes] {
    faiss::VectorIOReader reader;
    reader.data.assign(bytes.begin(), bytes.end());
    return faiss::read_index(&reader);
  });
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
