// A safe reader for the one pickle shape `import-faiss` needs: the Python design's
// documents.pkl, a list of str. It interprets only the opcodes CPython 3 emits for such a list
// at protocols 2 to 5 (PROTO, FRAME, EMPTY_LIST, MARK, APPEND(S), SHORT_BINUNICODE,
// BINUNICODE, BINUNICODE8, MEMOIZE, (LONG_)BINPUT, (LONG_)BINGET, STOP) and rejects every other
// opcode — GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, ... — with an error naming the
// opcode and its offset. Nothing is ever imported, called or executed. Every read is
// bounds-checked, strings must be valid UTF-8, and the output is capped (kMaxPickleItems
// strings, kMaxPickleTextBytes bytes in all) so memo references cannot blow it up.
//
// Thread-safety: a pure function; call it from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rag::migrate {

inline constexpr std::size_t kMaxPickleItems = std::size_t{1} << 24;      // 16 Mi strings
inline constexpr std::size_t kMaxPickleTextBytes = std::size_t{1} << 31;  // 2 GiB of text

// The list of str pickled in `bytes`. kInvalidArgument for a disallowed opcode or shape (not a
// flat list of str), kCorrupt for malformed or truncated data; the message says what and where.
Result<std::vector<std::string>> read_pickled_str_list(std::string_view bytes);

}  // namespace rag::migrate
