// The server's one timestamp form: local time, ISO 8601, microseconds, no zone
// ("2024-01-15T10:30:45.123456"), as the access log, GET / and /search answers, and the index's
// build_info carry it (docs/api.md, docs/index.md).
//
// Thread-safety: safe from any thread; each thread keeps its own cache of the last second.
#pragma once

#include <chrono>
#include <cstddef>
#include <ctime>
#include <string>

namespace rag {

// Appends the timestamp of `t` to `out`. The date and time of day change once a second, so
// they are formatted once per second per thread (localtime_r and strftime cost more than the
// rest of a GET /); a call allocates nothing when `out` has room.
inline void append_iso_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  thread_local std::chrono::sys_seconds cached_second{};
  thread_local char cached[32] = {};
  thread_local std::size_t cached_len = 0;
  if (cached_len == 0 || secs != cached_second) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    localtime_r(&tt, &tm);
    cached_len = std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = std::chrono::sys_seconds(secs.time_since_epoch());
  }
  out.append(cached, cached_len);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  char fraction[7] = {'.'};
  for (int i = 6; i >= 1; --i, micros /= 10) fraction[i] = static_cast<char>('0' + micros % 10);
  out.append(fraction, sizeof fraction);
}

inline std::string iso_timestamp(
    std::chrono::system_clock::time_point t = std::chrono::system_clock::now()) {
  std::string out;
  out.reserve(26);
  append_iso_timestamp(out, t);
  return out;
}

}  // namespace rag
