// Implementation of the heap trimmer (see heap_trimmer.hpp).
#include "observability/heap_trimmer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "observability/metrics.hpp"

#ifdef RAG_GLIBC_MALLOC
#include <malloc.h>
#endif

namespace rag::observability {
namespace {

double mib(std::size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

#ifdef RAG_GLIBC_MALLOC
std::size_t resident_bytes() {
  return static_cast<std::size_t>(observability::resident_memory_bytes());
}

// Resident bytes beyond what the program has allocated (heap chunks in use + mmapped blocks):
// freed memory the allocator still holds, plus the binary, libraries and stacks (constant).
std::size_t slack_of(std::size_t rss) {
  const auto info = ::mallinfo2();
  const auto in_use = info.uordblks + info.hblkhd;
  return rss > in_use ? rss - in_use : 0;
}
#endif

}  // namespace

std::size_t HeapTrimmer::slack() {
#ifdef RAG_GLIBC_MALLOC
  return slack_of(resident_bytes());
#else
  return 0;
#endif
}

HeapTrim HeapTrimmer::trim_if_over(std::size_t floor, const HeapTrimOptions& options) {
  HeapTrim trim;
#ifdef RAG_GLIBC_MALLOC
  trim.rss_before = trim.rss_after = resident_bytes();
  trim.slack_before = trim.slack_after = slack_of(trim.rss_before);
  const auto share = static_cast<std::size_t>(options.rss_fraction * trim.rss_before);
  if (trim.slack_before <= floor + std::max(options.min_bytes, share)) return trim;
  ::malloc_trim(0);
  trim.rss_after = resident_bytes();
  trim.slack_after = slack_of(trim.rss_after);
  trim.trimmed = true;
#else
  (void)floor;
  (void)options;
#endif
  return trim;
}

void HeapTrimmer::start(boost::asio::any_io_executor executor, HeapTrimOptions options) {
  task_.start(std::move(executor), options.interval, [options, floor = slack()]() mutable {
    const auto trim = trim_if_over(floor, options);
    if (!trim.trimmed) return;
    floor = trim.slack_after;  // what the trim could not return
    spdlog::info("Returned freed memory to the system: resident {:.1f} -> {:.1f} MB",
                 mib(trim.rss_before), mib(trim.rss_after));
  });
}

void HeapTrimmer::stop() { task_.stop(); }

}  // namespace rag::observability
