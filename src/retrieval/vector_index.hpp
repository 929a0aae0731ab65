// Dense retrieval: the one class that knows FAISS (vector_index.cpp, and vector_index_file.cpp
// for its file). Vectors are L2-normalised on the way in, so inner product = cosine similarity.
// Three kinds (VectorIndexKind), chosen by
// VectorIndexOptions::kind_for: exact (IndexFlatIP, every vector compared), IVF (inverted
// lists of 8-bit scalar-quantised vectors: a quarter of the floats' memory, a few of the lists
// searched per query) and HNSW (a graph over the float vectors; only by choice: its build takes
// minutes at 20k vectors of 1536 dimensions on this project's machines, bench/retrieval).
//
// An approximate index takes minutes to build at the sizes that need it, so `rag-server index`
// builds it once and save()s it beside the index; the server load()s it (seconds). After a
// small edit the indexer encode()s only the new vectors and stores the changes
// (vector_changes.hpp), which the server applies to the base it holds (with_changes()).
//
// FAISS exceptions are caught here and returned as errors. Every search pins OpenMP to one
// thread (FAISS's own OpenMP threads would compete with the request threads).
// Thread-safety: immutable after build() / load(); search(), similarity() and save() may run
// concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace faiss {
struct Index;
struct IndexIVFScalarQuantizer;
}

namespace rag::retrieval {

enum class VectorIndexKind {
  kAuto,   // exact below VectorIndexOptions::approximate_threshold vectors, IVF at or above
  kExact,  // IndexFlatIP
  kIvf,    // IndexIVFScalarQuantizer, 8 bits per dimension
  kHnsw,   // IndexHNSWFlat
};

// "exact", "IVF" or "HNSW" (kAuto: "auto"), for logs and readiness details.
std::string_view kind_name(VectorIndexKind kind);

struct VectorIndexOptions {
  VectorIndexKind kind = VectorIndexKind::kAuto;  // VECTOR_INDEX
  // kAuto: vectors from which the index is approximate (HNSW_MIN_VECTORS). Exact search costs
  // ~80 ms a query at 100k vectors of 1536 dimensions (bench/retrieval/RESULTS.md).
  std::size_t approximate_threshold = 100000;
  int hnsw_m = 32;  // graph degree
  int hnsw_ef_construction = 40;
  int hnsw_ef_search = 128;  // raised to the number of results asked when larger
  // IVF: lists of vectors near one centroid each; 0 = 4·√count (FAISS's guidance is 4·√n to
  // 16·√n: fewer lists build faster). A query searches the `ivf_probes` lists nearest to it.
  std::size_t ivf_lists = 0;
  // 0 = a sixteenth of the lists, at least 32 (bench/scale/RESULTS.md, "Dense" and "stop 37":
  // at 1M vectors, 250 of 4,000 lists, p99 26 ms on one core; recall@10 0.974 on word vectors).
  std::size_t ivf_probes = 0;
  // Threads for building (the indexer may take every core; a server builds on one).
  int build_threads = 1;

  // The kind an index of `count` vectors is (never kAuto).
  VectorIndexKind kind_for(std::size_t count) const;
};

struct StoredVectors;

// The changes since a base IVF index, as VectorIndex::with_changes applies them and
// vector_changes.hpp stores them: every base vector's id in the whole (-1: removed), and the
// added vectors, each with its id, its list and its code (as VectorIndex::encode gives them).
struct VectorChanges {
  std::vector<std::int64_t> base_ids;  // by base id
  std::vector<std::int64_t> added_ids;
  std::vector<std::uint32_t> added_lists;
  std::vector<std::uint8_t> added_codes;  // dimension bytes each
};

// Vectors encoded for an IVF index: each one's list and code (dimension bytes).
struct EncodedVectors {
  std::vector<std::uint32_t> lists;
  std::vector<std::uint8_t> codes;
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

  // What is saved with the index, one entry per vector in order: `rows` (the snapshot's: the
  // chunk each vector belongs to; empty: 0, 1, 2...) and `row_ids` (the chunks' row ids in
  // index.sqlite, for an incremental update; empty: unknown), and the embedding model.
  struct Saved {
    std::span<const std::uint32_t> rows;
    std::span<const std::int64_t> row_ids;
    std::string_view model;
  };
  // Writes the index and `saved` to `file` atomically (a temporary file, fsync, rename), tagged
  // with `stamp`: what it was built from (stored_graph.hpp, vector_stamp). kInvalidArgument when
  // a list has another size, kIo when the file cannot be written.
  Result<void> save(const std::filesystem::path& file, std::string_view stamp,
                    const Saved& saved = {}) const;

  // Reads an index save()d with exactly `stamp` (empty: with any stamp, for the indexer's
  // incremental update), of vectors of `dimension`, and what was saved with it, searched with
  // `options`' search settings (ef_search, probes). kNotFound when there is no file, kCorrupt
  // when it is unreadable or was saved for something else (the message says what).
  // Part::kTrained reads an IVF index's trained quantizers and the rows only, not its lists (a
  // few megabytes of a file of gigabytes): an index of no vectors, which can encode() others.
  enum class Part { kWhole, kTrained };
  static Result<StoredVectors> load(const std::filesystem::path& file, std::string_view stamp,
                                    int dimension, const VectorIndexOptions& options = {},
                                    Part part = Part::kWhole);

  // An IVF index with `base`'s trained quantizers, lists and codes for the vectors it keeps,
  // and `added` (row-major, normalised here) assigned and encoded with those quantizers: what
  // an incremental update stores instead of training and assigning every vector again.
  // `renumber[id]` is a kept base vector's id in the result, or -1; `added_ids` the added
  // vectors' ids; together they are 0..count-1 once each. kInvalidArgument when `base` is not
  // IVF or the ids do not fit, kInternal on a FAISS failure.
  static Result<std::unique_ptr<VectorIndex>> update(const VectorIndex& base,
                                                     std::span<const std::int64_t> renumber,
                                                     std::vector<float> added,
                                                     std::span<const std::int64_t> added_ids,
                                                     const VectorIndexOptions& options = {});

  // `vectors` (`count` row-major vectors, normalised here) assigned to this IVF index's lists
  // and encoded with its quantizer, as update() and a build add them. kInvalidArgument when the
  // index is not IVF or the shape differs, kInternal on a FAISS failure.
  Result<EncodedVectors> encode(std::vector<float> vectors, std::size_t count,
                                int threads = 1) const;

  // The IVF index `base` with `changes` applied: searches and similarities exactly as the index
  // update() would write from the same base and vectors (same lists, codes and ids), without
  // copying the base, which the result shares. kCorrupt when the changes do not fit the base:
  // base_ids of another size, ids out of range or given twice, a list out of range, codes of
  // another size.
  static Result<std::unique_ptr<VectorIndex>> with_changes(std::shared_ptr<const VectorIndex> base,
                                                           const VectorChanges& changes);

  // The stamp `file` was saved with; "" when there is no readable file. Reads the header only.
  static std::string saved_stamp(const std::filesystem::path& file);

  // The `limit` most similar vectors to `query` (normalised here), best first.
  Result<std::vector<VectorHit>> search(const std::vector<float>& query, std::size_t limit) const;

  // Cosine similarity between a normalised query and the stored vector `id`: exact, or, in an
  // IVF index, with the vector as quantised (within ~0.001 at 8 bits).
  float similarity(const std::vector<float>& normalised_query, std::int64_t id) const;

  std::size_t size() const { return count_; }
  int dimension() const { return dimension_; }
  VectorIndexKind kind() const { return kind_; }
  bool approximate() const { return kind_ != VectorIndexKind::kExact; }

  // Normalises a vector to unit L2 length (a zero vector stays zero).
  static void normalise(float* v, int dimension);

 private:
  VectorIndex() = default;

  // Takes `index` (read or built) after checking it is of a kind this class builds, over
  // `count` vectors of `dimension` (inner product); null otherwise.
  static std::unique_ptr<VectorIndex> adopt(std::unique_ptr<faiss::Index> index, std::size_t count,
                                            int dimension, const VectorIndexOptions& options);

  Result<std::vector<VectorHit>> search_ivf(const std::vector<float>& normalised_query,
                                            std::size_t limit) const;

  // The IVF index searched: index_'s, or the base's under changes; null when not IVF.
  const faiss::IndexIVFScalarQuantizer* ivf_index() const;

  struct Changes;                        // with_changes(): the base and the changes, ready to scan
  std::unique_ptr<faiss::Index> index_;  // null when changes_ is set: the base's is used
  std::shared_ptr<const Changes> changes_;
  const float* stored_ = nullptr;  // exact and HNSW: the float vectors inside index_ (row-major)
  std::size_t count_ = 0;
  int dimension_ = 0;
  VectorIndexKind kind_ = VectorIndexKind::kExact;
  int ef_search_ = 0;
  std::size_t probes_ = 0;
};

// What a saved index file holds: the index, and one number per vector that was saved with it
// (the snapshot's: the chunk each vector belongs to).
struct StoredVectors {
  std::shared_ptr<const VectorIndex> index;
  std::vector<std::uint32_t> rows;
  std::vector<std::int64_t> row_ids;  // -1 each when not saved
  std::string stamp;
  std::string model;
};

}  // namespace rag::retrieval
