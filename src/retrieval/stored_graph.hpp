// The HNSW graph stored beside the index. Building one takes minutes at the sizes that need
// it (HNSW_MIN_VECTORS, default 100k vectors; bench/retrieval/RESULTS.md), so `rag-server
// index` and `import-faiss` build it once, as their last step, and store it in
// VECTOR_DB_PATH/vectors.hnsw tagged with the vectors it was built from (Snapshot::
// vector_stamp); the server loads it in seconds (SnapshotOptions::graph_file) and searches
// exactly while it is missing or stale. A run that changed no vector keeps the stored graph.
//
// Thread-safety: plain functions; one caller per index folder at a time (the indexer).
#pragma once

#include <cstddef>
#include <filesystem>

#include "common/result.hpp"
#include "retrieval/vector_index.hpp"

namespace rag::retrieval {

// VECTOR_DB_PATH/vectors.hnsw
std::filesystem::path graph_path(const std::filesystem::path& vector_db_path);

struct GraphUpdate {
  enum class Outcome {
    kNotNeeded,  // fewer vectors than options.hnsw_threshold: no graph (a stale one is removed)
    kUpToDate,   // the stored graph was built from these very vectors
    kWritten,
  };
  Outcome outcome = Outcome::kNotNeeded;
  std::size_t vectors = 0;
  double seconds = 0;  // reading the index, building the graph and writing it
};

// Brings the stored graph in line with the index in `vector_db_path`. Errors: the index cannot
// be read (see store::IndexReader::open), the graph cannot be built (kInternal) or written (kIo).
Result<GraphUpdate> update_stored_graph(const std::filesystem::path& vector_db_path,
                                        const VectorIndexOptions& options);

}  // namespace rag::retrieval
