// Dense retrieval: the one file that knows FAISS. Vectors are L2-normalised on the way in, so
// inner product = cosine similarity. Below `hnsw_threshold` vectors the index is exact
// (IndexFlatIP); at or above it, approximate (IndexHNSWFlat, inner product).
//
// An HNSW graph takes minutes to build at the sizes that need it, so `rag-server index` builds
// it once and save()s it beside the index; the server load()s it (seconds).
//
// FAISS exceptions are caught here and returned as errors. Every search pins OpenMP to one
// thread (FAISS's own OpenMP threads would compete with the request threads).
// Thread-safety: immutable after build() / load(); search(), similarity() and save() may run
// concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace faiss {
struct Index;
}

namespace rag::retrieval {

struct VectorIndexOptions {
  // Vectors; at or above this HNSW is used. 100k, not 50k: building HNSW in the server takes
  // minutes at these sizes (bench/retrieval/RESULTS.md) while exact search costs ~80 ms/query.
  std::size_t hnsw_threshold = 100000;
  int hnsw_m = 32;                     // graph degree
  int hnsw_ef_construction = 40;
  int hnsw_ef_search = 128;            // raised to the number of results asked when larger
};

struct VectorHit {
  std::int64_t id = 0;  // position of the vector as given to build()
  float similarity = 0;
};

class VectorIndex {
 public:
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // `data` holds `count` row-major vectors of `dimension` floats (normalised in place; a zero
  // vector stays zero). kInvalidArgument on a bad shape, kInternal on a FAISS failure.
  static Result<std::unique_ptr<VectorIndex>> build(std::vector<float> data, std::size_t count,
                                                    int dimension,
                                                    const VectorIndexOptions& options = {});

  // Writes the index to `file` atomically (a temporary file, fsync, rename), tagged with
  // `stamp`: what it was built from (stored_graph.hpp, vector_stamp). kIo when it cannot be written.
  Result<void> save(const std::filesystem::path& file, std::string_view stamp) const;

  // Reads an index save()d for exactly `stamp`, `count` vectors and `dimension`. kNotFound
  // when there is no file, kCorrupt when it is unreadable or was saved for something else
  // (the message says what).
  static Result<std::unique_ptr<VectorIndex>> load(const std::filesystem::path& file,
                                                   std::string_view stamp, std::size_t count,
                                                   int dimension,
                                                   const VectorIndexOptions& options = {});

  // The stamp `file` was saved with; "" when there is no readable file. Reads the header only.
  static std::string saved_stamp(const std::filesystem::path& file);

  // The `limit` most similar vectors to `query` (normalised here), best first.
  Result<std::vector<VectorHit>> search(const std::vector<float>& query, std::size_t limit) const;

  // Exact cosine similarity between a normalised query and the stored vector `id`.
  float similarity(const std::vector<float>& normalised_query, std::int64_t id) const;

  std::size_t size() const { return count_; }
  int dimension() const { return dimension_; }
  bool approximate() const { return approximate_; }

  // Normalises a vector to unit L2 length (a zero vector stays zero).
  static void normalise(float* v, int dimension);

 private:
  VectorIndex() = default;

  std::unique_ptr<faiss::Index> index_;
  const float* stored_ = nullptr;  // the flat codes inside index_ (row-major, normalised)
  std::size_t count_ = 0;
  int dimension_ = 0;
  bool approximate_ = false;
  int ef_search_ = 0;
};

}  // namespace rag::retrieval
