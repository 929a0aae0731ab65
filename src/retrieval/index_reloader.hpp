// Owns every load of the index into memory: the first load at start-up, a check for a changed
// index on disk every `poll` interval, and reloads asked for by SIGHUP. Loading a snapshot
// takes seconds at a million chunks (~1 s per 20k when the lexical index must be built), so it
// runs on this thread of its own and never blocks a thread that serves requests; searches keep
// using the old snapshot until the new one is swapped in. While a run of `rag-server index`
// holds the folder (store/run_lock.hpp) it does not reload, and looks every 200 ms instead, so
// the run's result is swapped in as soon as it ends.
// `serve` waits for the first load (wait_for_first_load) before it opens its port, so the
// first client never meets a server without its index.
//
// Thread-safety: request_reload(), stop() and wait_for_first_load() from any thread (a signal
// handler's included).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "retrieval/live_index.hpp"

namespace rag::retrieval {

class IndexReloader {
 public:
  IndexReloader(LiveIndex& index, std::chrono::milliseconds poll);
  ~IndexReloader();
  IndexReloader(const IndexReloader&) = delete;
  IndexReloader& operator=(const IndexReloader&) = delete;

  void request_reload();
  void stop();

  enum class FirstLoad {
    kLoaded,   // the first snapshot is in
    kFailed,   // the first attempt failed (no index, unreadable); polls keep trying
    kPending,  // still loading when `bound` passed
  };
  // Waits until the first load attempt ends, or `bound` passes.
  FirstLoad wait_for_first_load(std::chrono::milliseconds bound);

 private:
  void run();
  void first_attempt_done(bool loaded);

  LiveIndex& index_;
  const std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable first_done_;
  bool reload_requested_ = false;
  bool stop_ = false;
  std::optional<bool> first_loaded_;  // set once the first attempt ends
  std::thread thread_;
};

}  // namespace rag::retrieval
