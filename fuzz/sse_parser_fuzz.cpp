// Fuzz target `sse_parser`: the upstream client's Server-Sent Events splitter
// (upstream::wire::SseParser) and the chat.completion.chunk parser behind it. The input is
// the raw byte stream an upstream sends. Oracles: the events must not depend on how the
// stream is cut into reads (the whole stream at once vs. pieces whose sizes come from the
// input), and every event payload goes through parse_chat_chunk as the chat adapter does.
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "upstream/wire.hpp"

namespace wire = rag::upstream::wire;

namespace {

std::vector<std::string> parse_whole(std::string_view stream, std::string& tail) {
  wire::SseParser parser;
  std::vector<std::string> events;
  parser.feed(stream, events);
  tail = parser.flush();
  return events;
}

// Cuts the stream into pieces of 1..16 bytes, the sizes taken from the stream's own bytes
// (deterministic, and different for every input).
std::vector<std::string> parse_in_pieces(std::string_view stream, std::string& tail) {
  wire::SseParser parser;
  std::vector<std::string> events;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const std::size_t n = 1 + static_cast<unsigned char>(stream[pos]) % 16;
    parser.feed(stream.substr(pos, n), events);
    pos += n;
  }
  tail = parser.flush();
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  std::string tail_whole;
  std::string tail_pieces;
  const auto whole = parse_whole(stream, tail_whole);
  const auto pieces = parse_in_pieces(stream, tail_pieces);
  rag::fuzz::check(whole == pieces, "SSE events depend on how the stream was cut");
  rag::fuzz::check(tail_whole == tail_pieces, "SSE tail depends on how the stream was cut");

  for (const auto& event : whole) {
    if (event == "[DONE]") break;
    auto chunk = wire::parse_chat_chunk(event);
    if (!chunk) {
      rag::fuzz::check(!chunk.error().message.empty(), "chunk error without a message");
      continue;
    }
  }
  if (!tail_whole.empty()) (void)wire::parse_chat_chunk(tail_whole);
  return 0;
}
