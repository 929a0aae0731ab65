// The lock a run of `rag-server index` (or `import-faiss`) holds on its index folder, from its
// first write to its last derived file: an advisory flock(2) on VECTOR_DB_PATH/index.lock.
// While it is held the server keeps serving the snapshot it has instead of reloading an index
// whose derived files (the lexical and vector index files) still lag behind, and a second run
// on the same folder stops at once instead of interleaving its writes. The kernel releases it
// when the process exits, however it exits.
//
// Thread-safety: an IndexRunLock is owned by one thread; index_run_in_progress may run anywhere.
#pragma once

#include <filesystem>

#include "common/result.hpp"

namespace rag::store {

class IndexRunLock {
 public:
  // Creates the folder's lock file if needed and locks it. kUnavailable when another run
  // holds it, kIo when it cannot be created.
  static Result<IndexRunLock> acquire(const std::filesystem::path& vector_db_path);

  IndexRunLock(IndexRunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  IndexRunLock& operator=(IndexRunLock&&) = delete;
  IndexRunLock(const IndexRunLock&) = delete;
  IndexRunLock& operator=(const IndexRunLock&) = delete;
  ~IndexRunLock();

 private:
  explicit IndexRunLock(int fd) : fd_(fd) {}
  int fd_;
};

// Whether a run holds the folder's lock now. False when there is no lock file (an index built
// elsewhere, a read-only volume) or it cannot be opened. Costs an open and a flock.
bool index_run_in_progress(const std::filesystem::path& vector_db_path);

}  // namespace rag::store
