// The server's current snapshot and how it is replaced. Searches take the current snapshot
// (a shared_ptr copy under a mutex held for nanoseconds) and keep it alive for as long as they
// use it; reload() builds a new snapshot off to the side, then swaps it in, so a search never
// waits for a reload and never sees a half-built index. A failed reload keeps the old snapshot.
//
// Thread-safety: current() from any thread, concurrently. reload() and reload_if_changed()
// from any thread; they are serialised among themselves (a second caller waits for the first).
// The reload runs on the calling thread and takes ~1 s per 20k chunks (well under a second per
// 100k when the lexical index file is up to date): call it from a thread that may block (the
// server's retrieval/index_reloader thread), not from a latency-critical one.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "retrieval/lexical_file.hpp"
#include "retrieval/snapshot.hpp"
#include "retrieval/stored_graph.hpp"
#include "store/index_reader.hpp"

namespace rag::observability {
struct Telemetry;
}

namespace rag::retrieval {

// Opens the index read-only; normally [path] { return store::IndexReader::open(path); }.
using IndexOpener = std::function<Result<std::unique_ptr<store::IndexReader>>()>;

struct ReloadStats {
  bool reloaded = false;  // false: the generation had not changed (reload_if_changed only)
  bool deferred = false;  // the generation had changed while `rag-server index` was running
  std::size_t chunks = 0;
  std::size_t vectors = 0;
  double seconds = 0;  // open + load + build
  std::string generation;
  bool lexical_stored = false;  // the lexical index came from the file `rag-server index` stores
  std::string lexical_note;     // why it did not, when a file was expected
  VectorIndexKind kind = VectorIndexKind::kExact;  // of the vector index searched
  // Vector search through a stored approximate index (of `kind`).
  bool approximate() const { return kind != VectorIndexKind::kExact; }
  bool awaiting_graph = false;  // exact until `rag-server index` stores one; graph_note says why
  std::string graph_note;
};

class LiveIndex {
 public:
  // `stored_graph`: where `rag-server index` stores the HNSW graph (the server); null: a
  // snapshot that needs a graph builds it (stored_graph.hpp). `lexical_file`: where it stores
  // the lexical index (lexical_file.hpp), loaded when written for the index's generation;
  // empty, or a file that is missing, stale or damaged: the lexical index is built in memory.
  LiveIndex(IndexOpener opener, SnapshotOptions options,
            std::unique_ptr<StoredGraph> stored_graph = nullptr,
            std::filesystem::path lexical_file = {});
  ~LiveIndex();

  // Null until the first successful load.
  std::shared_ptr<const Snapshot> current() const;

  // Loads the index and swaps the new snapshot in.
  Result<ReloadStats> reload();
  // Reloads only when the index's generation differs from the current snapshot's, when the
  // current snapshot awaits its approximate vector index and `rag-server index` has now stored
  // it, or when a piece of its lexical index file failed its checksum as it was read
  // (Snapshot::intact: then that file is verified whole, and refused); and not while a run of
  // `rag-server index` holds the folder (store/run_lock.hpp): its derived files would lag behind,
  // so the current snapshot keeps serving until it ends.
  Result<ReloadStats> reload_if_changed();

  // Installs a snapshot built elsewhere (tests, the CLI).
  void replace(std::shared_ptr<const Snapshot> snapshot);

  // rag_index_chunks, rag_index_vectors and the "index" readiness check (not ready until a
  // snapshot is in). At start-up; REQUIRES: this outlives every scrape.
  void publish(observability::Telemetry& telemetry) const;

 private:
  Result<ReloadStats> load_locked(store::IndexReader& reader, std::string generation);
  // The vector index `rag-server index` stored for the index's vectors, when it needs one and
  // it is there (stored_graph_ notes which); nullopt otherwise. Reads no vector.
  Result<std::optional<StoredVectors>> load_stored_vectors(
      const store::IndexInfo& info, const std::function<Result<std::string>()>& content_generation);

  IndexOpener opener_;
  SnapshotOptions options_;
  std::unique_ptr<StoredGraph> stored_graph_;  // null: graphs are built, never awaited
  const std::filesystem::path lexical_file_;   // empty: always built
  LexicalBaseCache lexical_cache_;             // under reload_mutex_
  std::mutex reload_mutex_;                    // serialises reloads
  mutable std::mutex current_mutex_;           // guards current_ only
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace rag::retrieval
