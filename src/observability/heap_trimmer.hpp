// Hands the memory the allocator holds free back to the system after a load spike. glibc
// keeps what a spike freed for reuse and returns by itself only the free memory at the top of
// a heap, so a server stays at its peak, idle (docs/RELIABILITY.md, "Soak", has the figures).
// Every `interval` the trimmer compares the resident memory with what the program has in use
// (mallinfo2) and, when the difference (the "slack": freed memory still resident) has grown
// since the last trim by more than `min_bytes` and `rss_fraction` of the resident memory,
// calls malloc_trim(0), which returns the free pages of every arena. Slack malloc_trim cannot
// return (pages partly in use) becomes the new floor, so an idle server is trimmed once, not
// every period; the fraction keeps steady load, whose slack comes and goes by tens of MB, from
// being trimmed over and over. Without glibc's allocator (a sanitizer build replaces it) it
// does nothing.
//
// Thread-safety: start() and stop() from one thread (serve's); the check runs on `executor`.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>

#include "common/periodic_task.hpp"

// RAG_GLIBC_MALLOC: the heap is glibc's, which malloc_trim() shrinks. Not under a sanitizer,
// whose allocator replaces it: GCC says so with __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__,
// clang 19 only through __has_feature (GCC 12 has no __has_feature).
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#if defined(__has_feature)
#if !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer)
#define RAG_GLIBC_MALLOC 1
#endif
#else
#define RAG_GLIBC_MALLOC 1
#endif
#endif

namespace rag::observability {

struct HeapTrimOptions {
  std::chrono::seconds interval{10};
  // A trim is worth it when the slack grew by more than both of these:
  std::size_t min_bytes = std::size_t{32} << 20;
  double rss_fraction = 0.25;  // of the resident memory
};

struct HeapTrim {
  std::size_t slack_before = 0;  // resident bytes not in use by the program
  std::size_t slack_after = 0;   // == slack_before when nothing was trimmed
  std::size_t rss_before = 0;    // resident bytes of the process
  std::size_t rss_after = 0;
  bool trimmed = false;
};

class HeapTrimmer {
 public:
  void start(boost::asio::any_io_executor executor, HeapTrimOptions options = {});
  void stop();

  // Resident bytes not in use by the program now (0 without glibc's allocator).
  static std::size_t slack();
  // One check, as each period runs it: trims when the slack exceeds `floor` by more than
  // `options.min_bytes` and `options.rss_fraction` of the resident memory.
  static HeapTrim trim_if_over(std::size_t floor, const HeapTrimOptions& options);

 private:
  PeriodicTask task_;
};

}  // namespace rag::observability
