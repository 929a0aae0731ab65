// Seconds elapsed on the steady clock, for the durations the indexer logs.
#pragma once

#include <chrono>

namespace rag {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace rag
