// One stage of the work behind a response and how long it took: what the `Server-Timing`
// header (http/server_timing.hpp) and the access log's `timing_ms` show (docs/api.md,
// "Server-Timing").
#pragma once

#include <string_view>

namespace rag {

struct StageTiming {
  std::string_view name;  // a string literal: "embed", "retrieve", "llm", "ttft"
  double ms = 0;
};

}  // namespace rag
