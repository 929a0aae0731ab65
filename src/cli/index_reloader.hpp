// Owns every load of the index into memory: the first load at start-up, a check for a changed
// index on disk every `poll` interval, and reloads asked for by SIGHUP. Loading a snapshot
// takes ~1 s per 20k chunks, so it runs on this thread of its own and never blocks a thread
// that serves requests; searches keep using the old snapshot until the new one is swapped in.
//
// Thread-safety: request_reload() and stop() from any thread (a signal handler's included).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "retrieval/live_index.hpp"

namespace rag::cli {

class IndexReloader {
 public:
  IndexReloader(retrieval::LiveIndex& index, std::chrono::milliseconds poll);
  ~IndexReloader();
  IndexReloader(const IndexReloader&) = delete;
  IndexReloader& operator=(const IndexReloader&) = delete;

  void request_reload();
  void stop();

 private:
  void run();

  retrieval::LiveIndex& index_;
  const std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool reload_requested_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rag::cli
