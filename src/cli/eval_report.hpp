// How `rag-server eval` prints its report: an aligned table for people, or one JSON object
// (summary + every query's ranking) for scripts such as bench/quality (docs/eval.md).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>

#include "eval/evaluator.hpp"

namespace rag::cli {

struct EvalContext {
  std::string collection;
  std::string mode;  // "lexical" or "hybrid"
  std::size_t chunks = 0;
  int depth = 0;
};

std::string report_text(const eval::Report& report, const EvalContext& context);
std::string report_json(const eval::Report& report, const EvalContext& context);

}  // namespace rag::cli
