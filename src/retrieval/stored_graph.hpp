// The approximate vector index stored beside the index (IVF or HNSW, vector_index.hpp; "graph"
// in the names below, after the first kind it held): the one owner of its place
// (VECTOR_DB_PATH/vectors.faiss), of the stamp that ties it to the vectors it was built from, of
// when the server tries a stored index again, and of its update by the indexer. The bytes are
// VectorIndex::save's (vector_index.hpp: a header naming the stamp, then FAISS's part).
//
// Building one takes minutes at the sizes that need it (HNSW_MIN_VECTORS, default 100k vectors;
// bench/scale/RESULTS.md), so `rag-server index` and `import-faiss` build it once, as their
// last step (update_stored_graph), and the server loads it in seconds (StoredGraph). Without
// an index stored for its very vectors and kind the server searches exactly rather than build
// one. A file that fails to load is not tried again until it is replaced, so a damaged file
// cannot cause a reload loop.
//
// After a small edit the indexer writes only the changes since the stored IVF index, the base,
// beside it (vector_changes.hpp: VECTOR_DB_PATH/vectors-changes.idx), and the server applies
// them to the base it already holds (VectorIndex::with_changes): at a million vectors, seconds
// for both where rewriting and reading the base took half a minute each.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "retrieval/section_file.hpp"
#include "retrieval/vector_index.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval {

// VECTOR_DB_PATH/vectors.faiss
std::filesystem::path graph_path(const std::filesystem::path& vector_db_path);

// What identifies a stored index: its kind, the dimension of its vectors, and the index's
// content generation (store::IndexReader::content_generation), which changes whenever a vector
// does, and not when a run of `rag-server index` changed nothing. Computed without reading a
// vector, and the file holds its rows (the chunk of each vector), so that a server starts
// without reading any of a million vectors.
std::string vector_stamp(VectorIndexKind kind, std::size_t dimension,
                         std::string_view content_generation);

// The server's side: loads the graph stored for a snapshot's vectors and remembers what it
// found, for /readyz, the log and the next reload.
//
// Thread-safety: load() and arrived() from the reloading thread (LiveIndex serialises them);
// status() from any thread.
class StoredGraph {
 public:
  explicit StoredGraph(std::filesystem::path file);
  ~StoredGraph();

  // The index and rows stored with `stamp` for vectors of `dimension`, or nullopt when none
  // fits (missing, built for other vectors, unreadable: status() says which): the base alone,
  // or the base with the changes file beside it (vector_changes.hpp). The base is read once
  // while its file is the same one, so a reload after an incremental update reads only the
  // changes, and the snapshots share the base.
  std::optional<StoredVectors> load(const std::string& stamp, int dimension,
                                    const VectorIndexOptions& options);

  // The snapshot being built needs no graph (too few vectors): nothing is awaited.
  void not_needed();

  // True when the last load() found nothing and the file has been written since with a graph
  // for the same vectors: worth a reload. A file that failed to load is not tried again until
  // it is replaced.
  bool arrived() const;

  struct Status {
    bool awaiting = false;  // the last load() found no graph: vector search is exact
    std::string note;       // why, when awaiting
  };
  Status status() const;

 private:
  Result<StoredVectors> load_stored(const std::string& stamp, int dimension,
                                    const VectorIndexOptions& options);
  // The base stored with `stamp`: the one read before while the file is the same one.
  Result<const StoredVectors*> read_base(const std::string& stamp, int dimension,
                                         const VectorIndexOptions& options);

  const std::filesystem::path file_;
  const std::filesystem::path changes_file_;
  // The base last read and its file's identity: the reloading thread's alone.
  std::optional<StoredVectors> base_;
  section_file::FileIdentity base_identity_;
  mutable std::mutex mutex_;  // guards the members below
  std::string tried_stamp_;
  // The files' times when the last load() began (min(): no file), so that only a newer one is
  // tried again.
  std::filesystem::file_time_type tried_time_ = std::filesystem::file_time_type::min();
  std::filesystem::file_time_type tried_changes_time_ = std::filesystem::file_time_type::min();
  Status status_;
};

// The indexer's side.
struct GraphUpdate {
  enum class Outcome {
    kNotNeeded,  // the vectors are searched exactly: no file (a stale one is removed)
    kUpToDate,   // the stored index was built from these very vectors, of this kind
    kWritten,
  };
  Outcome outcome = Outcome::kNotNeeded;
  VectorIndexKind kind = VectorIndexKind::kExact;
  std::size_t vectors = 0;
  bool incremental = false;  // written from the stored IVF index: its lists and kept codes
  bool changes_only = false;  // incremental: as the changes since the base (vector_changes.hpp)
  std::size_t added = 0;     // incremental: vectors added, and removed, since it was stored
  std::size_t removed = 0;
  double seconds = 0;  // reading the index, building the index and writing it
};

// Brings the stored index in line with the index in `vector_db_path` and options.kind_for its
// vectors; a run that changed no vector keeps it. Builds with options.build_threads. A stored
// IVF index of the same embedding model is updated instead of built again, as long as the
// vectors it keeps outnumber those added since: its trained lists and the codes of the vectors
// of unchanged chunks (same row in index.sqlite) are kept, and only the new vectors are read,
// assigned and encoded. When the vectors added and removed since the base are at most a tenth
// of it, only the changes file is written (seconds at a million vectors); otherwise a new base
// (half a minute), and the changes file is removed. A build takes minutes.
// Errors: the index cannot be read (see store::IndexReader::open), the graph cannot be built
// (kInternal) or written (kIo).
// Thread-safety: one caller per index folder at a time (the indexer).
Result<GraphUpdate> update_stored_graph(const std::filesystem::path& vector_db_path,
                                        const VectorIndexOptions& options);

}  // namespace rag::retrieval
