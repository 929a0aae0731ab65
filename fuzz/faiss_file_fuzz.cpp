// Fuzz target `faiss_file`: the FAISS files the server reads, checked byte by byte
// (retrieval::check_faiss_layout) before libfaiss reads them. Every input is tried twice: as
// import-faiss's `vector.index` (exact stores only; when accepted, libfaiss's reader and
// reconstruct_n through migrate::read_faiss_vectors), and as the FAISS part of `vectors.faiss`
// (also the IVF index rag-server writes; when accepted, libfaiss's reader). Oracles besides
// ASan: what the check accepts, FAISS reads without error (a FAISS failure would be a gap in
// the check, and FAISS 1.7.3 leaks on a failed read) and finds the index the check described;
// every refusal carries a message.
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <memory>
#include <sstream>
#include <string>

#include "fuzz_target.hpp"
#include "migrate/faiss_file.hpp"
#include "retrieval/faiss_layout.hpp"

namespace migrate = rag::migrate;
using rag::fuzz::check;

namespace {

// As import-faiss reads a `vector.index`.
void as_imported(const std::string& bytes) {
  std::istringstream in(bytes);
  const auto layout = rag::retrieval::check_faiss_layout(in, bytes.size(), "vector.index");
  if (!layout) {
    check(!layout.error().message.empty(), "a refusal without a message");
    return;
  }
  const auto vectors = migrate::read_faiss_vectors(bytes, "vector.index");
  if (!vectors) {
    // Only the values can still be refused: NaN or infinity in a vector.
    check(vectors.error().message.find("NaN or infinity") != std::string::npos,
          "FAISS refused a file the layout check accepted");
    return;
  }
  check(vectors->dimension == layout->dimension, "dimension differs from the header");
  check(static_cast<std::int64_t>(vectors->count) == layout->count, "count differs");
  check(vectors->data.size() == vectors->count * static_cast<std::size_t>(vectors->dimension),
        "vectors of the wrong size");
}

// As VectorIndex::load reads the FAISS part of a `vectors.faiss`.
void as_stored(const std::string& bytes) {
  std::istringstream in(bytes);
  const auto layout = rag::retrieval::check_faiss_layout(in, bytes.size(), "vectors.faiss",
                                                         rag::retrieval::FaissKinds::kStored);
  if (!layout) {
    check(!layout.error().message.empty(), "a refusal without a message");
    return;
  }
  faiss::VectorIOReader reader;
  reader.data.assign(bytes.begin(), bytes.end());
  std::unique_ptr<faiss::Index> index;
  try {
    index.reset(faiss::read_index(&reader));
  } catch (const std::exception&) {
    check(false, "FAISS refused a stored index the layout check accepted");
  }
  check(index->d == layout->dimension, "dimension differs from the header");
  if (layout->tag == "IwSq") {
    const auto* ivf = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index.get());
    check(ivf != nullptr && ivf->nlist == layout->lists && ivf->ntotal == 0 &&
              ivf->code_size == static_cast<std::size_t>(layout->dimension),
          "not the IVF index the check described");
  } else {
    check(index->ntotal == layout->count, "count differs");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  as_imported(bytes);
  as_stored(bytes);
  return 0;
}
