// Reads the vectors out of the Python design's `vector.index` with libfaiss itself
// (faiss::read_index; FAISS's exceptions stay in faiss_file.cpp), after the whole file's
// layout was checked (retrieval/faiss_layout.hpp). Accepted: IndexFlatIP (what
// the Python design writes), and the other exact stores whose vectors come back unchanged by
// reconstruct_n: IndexFlatL2 and IndexHNSWFlat. Anything else (IVF, PQ, SQ, LSH, ID maps, ...)
// is refused with a message naming the type: its codes are lossy or its ids are remapped, so
// the only faithful migration is re-embedding with `rag-server index`. The type tag and the
// claimed size are checked before FAISS parses the file, so a hostile or truncated file cannot
// make FAISS allocate memory for vectors that are not there, and an IndexHNSWFlat whose storage
// disagrees with its header never reaches reconstruct_n.
//
// Thread-safety: a pure function over a file; call it from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rag::migrate {

struct FaissVectors {
  int dimension = 0;
  std::size_t count = 0;
  std::vector<float> data;    // count * dimension floats, row i = FAISS id i
  std::string index_type;     // "IndexFlatIP", "IndexFlatL2", "IndexHNSWFlat"
  bool inner_product = true;  // the file's metric (false: L2)
};

// kNotFound when the file is missing, kCorrupt when FAISS cannot read it, kInvalidArgument for
// an index type that cannot be migrated exactly.
Result<FaissVectors> read_faiss_vectors(const std::filesystem::path& file);
// The same over a file's bytes in memory (`name` for messages): for tests and fuzzing.
Result<FaissVectors> read_faiss_vectors(std::string_view bytes, const std::string& name);

// Rows whose L2 norm differs from 1 by more than `tolerance`. rag-server ranks by cosine (it
// normalises every vector), which equals FAISS's inner-product ranking only for unit vectors.
std::size_t count_non_unit_rows(const FaissVectors& vectors, double tolerance = 1e-3);

}  // namespace rag::migrate
