// Fuzz target `lexical_file`: the bytes of a `lexical.idx` (retrieval/lexical_file.hpp) →
// parse_lexical_index with the checksum skipped, so that the structure checks alone face every
// input, for the generation the bytes name → when accepted, every chunk read back, its metadata
// parsed, searches with terms of its own vocabulary and with unknown ones, and the source page
// of its first url. Oracles besides ASan/UBSan: no exception; a refusal carries a message and is
// kCorrupt (or kNotFound for another generation or BM25 parameters); results name chunks that
// exist, at most as many as asked, best first.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "retrieval/lexical_file.hpp"
#include "retrieval/snapshot.hpp"

namespace retrieval = rag::retrieval;
using rag::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The reader needs 8-byte alignment (the map gives a page's).
  std::vector<std::uint64_t> aligned((size + 7) / 8);
  if (size > 0) std::memcpy(aligned.data(), data, size);
  const auto bytes = std::as_bytes(std::span(aligned)).first(size);
  const auto generation = retrieval::saved_lexical_generation(bytes, size);
  auto parsed = retrieval::parse_lexical_index(bytes, generation, false, nullptr);
  if (!parsed) {
    check(!parsed.error().message.empty(), "a refusal without a message");
    check(parsed.error().code == rag::ErrorCode::kCorrupt ||
              parsed.error().code == rag::ErrorCode::kNotFound,
          "a refusal that is neither kCorrupt nor kNotFound");
    return 0;
  }
  const std::size_t count = parsed->size();
  for (std::uint32_t doc = 0; doc < count && doc < 256; ++doc) {
    const auto chunk = parsed->chunk(doc);
    (void)chunk.metadata();
  }
  std::vector<std::string> terms{"unknown-term"};
  const auto& bm25 = parsed->bm25().parts();
  for (std::size_t t = 0; t < bm25.terms.size() && t < 6; ++t) {
    const auto from = bm25.term_offsets[t];
    terms.emplace_back(bm25.term_bytes.data() + from, bm25.term_offsets[t + 1] - from);
  }
  const auto hits = parsed->bm25().search(terms, 5);
  check(hits.size() <= 5, "more results than asked for");
  for (std::size_t i = 0; i < hits.size(); ++i) {
    check(hits[i].doc < count, "a result names no chunk");
    check(i == 0 || !(hits[i].score > hits[i - 1].score), "results out of order");
  }
  (void)parsed->bm25().relevance(hits.empty() ? 0 : hits[0].score, terms);
  auto snapshot = retrieval::Snapshot::assemble(std::move(*parsed), {}, {}, generation);
  check(snapshot.has_value(), "a snapshot over an accepted file failed");
  const auto answer = (*snapshot)->search(terms.back(), nullptr, 5);
  check(answer.has_value(), "a lexical search failed");
  if (!answer->empty()) (void)(*snapshot)->source(answer->front().metadata.citation_url);
  return 0;
}
