// Fuzz target `chat_completion_parser`: the JSON response parsers of the upstream client
// (upstream/wire.hpp) for the OpenAI and Azure shapes. The first byte picks the parser:
//   0: parse_chat_completion   1: parse_embeddings (expected count from the second byte)
//   2: error_message + is_too_many_inputs   3: parse_chat_chunk (one stream payload)
// Oracles: no exception escapes (wire.cpp promises to catch nlohmann's), a parsed batch of
// embeddings has exactly the expected count, one dimension, and only finite values (an
// infinite or NaN component would poison every similarity score of the index), and an
// upstream error message stays within its 200-character cut.
#include <cmath>

#include "fuzz_target.hpp"
#include "upstream/wire.hpp"

namespace wire = rag::upstream::wire;
using rag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rag::fuzz::Input in(data, size);
  const int which = in.byte() % 4;
  switch (which) {
    case 0: {
      auto answer = wire::parse_chat_completion(in.rest());
      if (!answer) check(!answer.error().message.empty(), "error without a message");
      break;
    }
    case 1: {
      const std::size_t expected = 1 + in.byte() % 8;
      auto vectors = wire::parse_embeddings(in.rest(), expected);
      if (!vectors) break;
      check(vectors->size() == expected, "embeddings: wrong count accepted");
      for (const auto& v : *vectors) {
        check(!v.empty(), "embeddings: empty vector accepted");
        check(v.size() == (*vectors)[0].size(), "embeddings: mixed dimensions accepted");
        for (float x : v) check(std::isfinite(x), "embeddings: non-finite component accepted");
      }
      break;
    }
    case 2: {
      const std::string message = wire::error_message(in.rest());
      check(message.size() <= 200, "error_message longer than its cut");
      (void)wire::is_too_many_inputs(400, in.rest());
      (void)wire::is_too_many_inputs(413, in.rest());
      break;
    }
    default: {
      auto chunk = wire::parse_chat_chunk(in.rest());
      if (!chunk) check(!chunk.error().message.empty(), "chunk error without a message");
      break;
    }
  }
  return 0;
}
