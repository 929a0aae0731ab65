// Fuzz target `faiss_file`: the bytes of a `vector.index` → the layout check of import-faiss
// (migrate::check_faiss_layout) → only when it accepts, libfaiss's own reader and
// reconstruct_n (migrate::read_faiss_vectors). Oracles besides ASan: what the check accepts,
// FAISS reads without error (a FAISS failure would be a gap in the check, and FAISS 1.7.3
// leaks on a failed read), with exactly the vectors the header announced; every refusal
// carries a message.
#include <sstream>
#include <string>

#include "fuzz_target.hpp"
#include "migrate/faiss_file.hpp"
#include "migrate/faiss_layout.hpp"

namespace migrate = rag::migrate;
using rag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  std::istringstream in(bytes);
  const auto layout = migrate::check_faiss_layout(in, bytes.size(), "vector.index");
  if (!layout) {
    check(!layout.error().message.empty(), "a refusal without a message");
    return 0;
  }
  const auto vectors = migrate::read_faiss_vectors(bytes, "vector.index");
  if (!vectors) {
    // Only the values can still be refused: NaN or infinity in a vector.
    check(vectors.error().message.find("NaN or infinity") != std::string::npos,
          "FAISS refused a file the layout check accepted");
    return 0;
  }
  check(vectors->dimension == layout->dimension, "dimension differs from the header");
  check(static_cast<std::int64_t>(vectors->count) == layout->count, "count differs");
  check(vectors->data.size() == vectors->count * static_cast<std::size_t>(vectors->dimension),
        "vectors of the wrong size");
  return 0;
}
