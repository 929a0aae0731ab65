// Fuzz target `splitter`: ingest::split and ingest::cut_at_sentences on documents built from
// the input. Layout: 4 bytes of options (signed, so invalid ones occur: validate() must
// reject them, and split() only runs on options it accepts), then blocks, each a kind byte
// (kind % 3: heading/paragraph/code; heading level 1 + kind / 3 % 6) and its text up to the
// next 0xFF byte. Block texts are made valid UTF-8 first (the loaders' contract).
// Oracles: cut_at_sentences gives non-blank pieces of at most max_chars code points; every
// chunk is non-blank valid UTF-8 with a section level of h1..h6 or none.
#include <string>

#include "fuzz_target.hpp"
#include "ingest/splitter.hpp"
#include "ingest/text_util.hpp"

using rag::fuzz::check;
namespace ingest = rag::ingest;

namespace {

ingest::Document read_document(rag::fuzz::Input& in) {
  ingest::Document doc;
  std::string_view rest = in.rest();
  while (!rest.empty()) {
    const auto kind = static_cast<unsigned char>(rest.front());
    rest.remove_prefix(1);
    const auto end = rest.find('\xFF');
    const auto text = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    ingest::Block block;
    block.kind = static_cast<ingest::Block::Kind>(kind % 3);
    block.level = block.kind == ingest::Block::Kind::kHeading ? 1 + kind / 3 % 6 : 0;
    block.text = ingest::sanitize_utf8(text);
    doc.blocks.push_back(std::move(block));
  }
  return doc;
}

void check_cut(std::string_view text, std::size_t max_chars) {
  for (const auto& piece : ingest::cut_at_sentences(text, max_chars)) {
    check(!ingest::trim(piece).empty(), "cut_at_sentences: blank piece");
    check(rag::fuzz::valid_utf8(piece), "cut_at_sentences: piece is not valid UTF-8");
    check(rag::utf8_length(piece) <= max_chars, "cut_at_sentences: piece over max_chars");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rag::fuzz::Input in(data, size);
  ingest::SplitOptions options;
  options.chunk_paragraphs = static_cast<std::int8_t>(in.byte()) % 10;
  options.chunk_overlap = static_cast<std::int8_t>(in.byte()) % 10;
  options.min_paragraph_chars = static_cast<std::int8_t>(in.byte()) * 2;
  options.chunk_max_chars = static_cast<std::int8_t>(in.byte()) * 4;
  const auto document = read_document(in);

  const bool valid = options.chunk_paragraphs >= 1 && options.chunk_overlap >= 0 &&
                     options.chunk_overlap < options.chunk_paragraphs &&
                     options.min_paragraph_chars >= 0 && options.chunk_max_chars >= 1;
  check(ingest::validate(options).has_value() == valid, "validate() disagrees with its contract");
  if (!valid) return 0;

  for (const auto& block : document.blocks)
    check_cut(block.text, static_cast<std::size_t>(options.chunk_max_chars));
  for (const auto& chunk : ingest::split(document, options)) {
    check(!ingest::trim(chunk.text).empty(), "split: blank chunk");
    check(rag::fuzz::valid_utf8(chunk.text), "split: chunk is not valid UTF-8");
    check(rag::fuzz::valid_utf8(chunk.section), "split: section is not valid UTF-8");
    const auto& level = chunk.section_level;
    check(level == "none" || (level.size() == 2 && level[0] == 'h' && level[1] >= '1' &&
                              level[1] <= '6'),
          "split: bad section level");
  }
  return 0;
}
