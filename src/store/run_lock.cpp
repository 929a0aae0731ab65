// IndexRunLock: flock(2) on VECTOR_DB_PATH/index.lock (see run_lock.hpp).
#include "store/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "store/schema.hpp"

namespace rag::store {
namespace {

std::filesystem::path lock_path(const std::filesystem::path& dir) {
  return dir / std::string(kRunLockFileName);
}

}  // namespace

Result<IndexRunLock> IndexRunLock::acquire(const std::filesystem::path& vector_db_path) {
  std::error_code ec;
  std::filesystem::create_directories(vector_db_path, ec);
  const auto file = lock_path(vector_db_path);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return fail(ErrorCode::kIo, "cannot create " + file.string() + ": " + std::strerror(errno));
  }
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return fail(ErrorCode::kUnavailable, "another rag-server index or import-faiss is writing " +
                                               vector_db_path.string() + " (it holds " +
                                               file.string() + ")");
    }
    return fail(ErrorCode::kIo, "cannot lock " + file.string() + ": " + std::strerror(error));
  }
  return IndexRunLock(fd);
}

IndexRunLock::~IndexRunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

bool index_run_in_progress(const std::filesystem::path& vector_db_path) {
  const int fd = ::open(lock_path(vector_db_path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  int result = 0;
  do {
    result = ::flock(fd, LOCK_SH | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  const bool held = result != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases our shared lock, if taken
  return held;
}

}  // namespace rag::store
