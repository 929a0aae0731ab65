// Process-wide FAISS and BLAS settings, shared by the files that call FAISS (vector_index.cpp,
// vector_index_file.cpp).
#pragma once

namespace rag::retrieval {

// Applies them once per process (the first call; later calls return at once). Thread-safe.
void configure_faiss_once();

}  // namespace rag::retrieval
