// Fuzz target `lexical_file`: the lexical index files (retrieval/lexical_file.hpp), parsed with
// the checksum skipped so that the structure checks alone face every input. An input is either
// the bytes of a `lexical.idx` (the base), or "RAGPAIR\0", the base's length (u64), the base and
// the bytes of a `lexical-changes.idx` over it. The base is read as the server reads it (for the
// generation it names) and as the incremental update does (its documents); the pair as the
// server combines them. When accepted: every chunk read back, its metadata parsed, searches with
// terms of its own vocabulary and with unknown ones, and the source page of its first url.
// Oracles besides ASan/UBSan: no exception; a refusal carries a message and is kCorrupt (or
// kNotFound for another generation, base or BM25 parameters); results name chunks that exist,
// at most as many as asked, best first.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "retrieval/lexical_file.hpp"
#include "retrieval/lexical_file_format.hpp"
#include "retrieval/snapshot.hpp"

namespace retrieval = rag::retrieval;
using rag::fuzz::Aligned;
using rag::fuzz::check;

namespace {

template <typename T>
bool refused(const rag::Result<T>& parsed) {
  if (parsed) return false;
  check(!parsed.error().message.empty(), "a refusal without a message");
  check(parsed.error().code == rag::ErrorCode::kCorrupt ||
            parsed.error().code == rag::ErrorCode::kNotFound,
        "a refusal that is neither kCorrupt nor kNotFound");
  return true;
}

void exercise(retrieval::LexicalIndex index, const std::string& generation) {
  const std::size_t count = index.size();
  for (std::uint32_t doc = 0; doc < count && doc < 256; ++doc) {
    const auto chunk = index.chunk(doc);
    check(!index.combined() || chunk.chunk_id == doc, "a chunk out of its place");
    (void)chunk.metadata();
  }
  std::vector<std::string> terms{"unknown-term"};
  const auto& bm25 = index.bm25().parts();
  for (std::size_t t = 0; t < bm25.terms.size() && t < 6; ++t) {
    const auto from = bm25.term_offsets[t];
    terms.emplace_back(bm25.term_bytes.data() + from, bm25.term_offsets[t + 1] - from);
  }
  const auto hits = index.search(terms, 5);
  check(hits.size() <= 5, "more results than asked for");
  for (std::size_t i = 0; i < hits.size(); ++i) {
    check(hits[i].doc < count, "a result names no chunk");
    check(i == 0 || !(hits[i].score > hits[i - 1].score), "results out of order");
  }
  (void)index.relevance(hits.empty() ? 0 : hits[0].score, terms);
  auto snapshot = retrieval::Snapshot::assemble(std::move(index), {}, {}, generation);
  check(snapshot.has_value(), "a snapshot over an accepted file failed");
  const auto answer = (*snapshot)->search(terms.back(), nullptr, 5);
  check(answer.has_value(), "a lexical search failed");
  if (!answer->empty()) (void)(*snapshot)->source(answer->front().metadata.citation_url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  constexpr std::string_view kPair{"RAGPAIR\0", 8};
  if (size < 16 || std::memcmp(data, kPair.data(), kPair.size()) != 0) {
    const Aligned base(input);
    const auto generation = retrieval::saved_lexical_generation(base.bytes, size);
    auto parsed = retrieval::parse_lexical_index(base.bytes, generation, false, nullptr);
    if (!refused(parsed)) exercise(std::move(*parsed), generation);
    auto read = retrieval::parse_lexical_base(base.bytes, false, nullptr);
    if (!refused(read)) {
      std::size_t chunks = 0;
      for (const auto& d : read->documents) chunks += d.rows.size();
      check(chunks == read->index.size(), "documents that do not cover the chunks");
    }
    return 0;
  }
  std::uint64_t base_size = 0;
  std::memcpy(&base_size, data + 8, sizeof base_size);
  const auto rest = input.subspan(16);
  if (base_size > rest.size()) return 0;
  const Aligned base(rest.first(base_size));
  const Aligned changes(rest.subspan(base_size));
  auto read = retrieval::parse_lexical_base(base.bytes, false, nullptr);
  if (refused(read)) return 0;
  const auto generation = rag::retrieval::section_file::first_section(
      changes.bytes, changes.bytes.size(), retrieval::lexical_format::kChanges);
  auto combined = retrieval::parse_lexical_changes(std::move(read->index), read->checksum,
                                                   changes.bytes, generation, false, nullptr);
  if (!refused(combined)) exercise(std::move(*combined), generation);
  return 0;
}
