// The sections of the lexical index files (docs/INDEX-FORMAT.md, "lexical.idx"), shared by
// their reader (lexical_file.cpp) and the incremental update (lexical_update.cpp). Change the
// layout here with the kinds' versions and docs/INDEX-FORMAT.md.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "retrieval/lexical_index.hpp"
#include "retrieval/section_file.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval::lexical_format {

inline constexpr section_file::Kind kBase{
    {'R', 'A', 'G', 'L', 'E', 'X', '\0', '\0'}, 3, 13, "lexical index"};
inline constexpr section_file::Kind kChanges{
    {'R', 'A', 'G', 'L', 'E', 'X', 'C', '\0'}, 2, 16, "lexical index changes"};

// A segment's arrays, in this order, from a file's first segment section.
enum class SegmentSection : std::size_t {
  kTermOffsets,
  kTermBytes,
  kTerms,
  kPostings,
  kBlocks,
  kRecords,
  kStrings,
  kByUrl,
};

namespace BaseSection {
enum : std::size_t {
  kGeneration,
  kStats,
  kSegment,                   // 8 sections
  kDocuments = kSegment + 8,  // DocumentEntry by document, in chunk order
  kDocumentStrings,           // their paths and content hashes
  kRows,                      // by doc: its chunk's row id (std::int64_t)
  kCount
};
}  // namespace BaseSection

namespace ChangesSection {
enum : std::size_t {
  kGeneration,
  kStats,         // of the whole; the averages are the base's
  kBase,          // the base's checksum (std::uint64_t)
  kBasePosition,  // LexicalChanges' arrays
  kAddedPosition,
  kRemovedOffsets,
  kRemovedBytes,
  kRemovedCounts,
  kSegment,  // the added chunks: 8 sections
  kCount = kSegment + 8
};
}  // namespace ChangesSection

static_assert(BaseSection::kCount == kBase.sections);
static_assert(ChangesSection::kCount == kChanges.sections);

struct Stats {
  std::uint64_t doc_count;
  double k1;
  std::array<double, kFieldCount> average;
  std::array<double, 2 * kFieldCount> fields;  // weight and b per field, as built
};

struct DocumentEntry {
  std::uint64_t strings_offset;  // its path, then its content hash
  std::uint32_t path_size;
  std::uint32_t hash_size;
  std::uint32_t first_doc;
  std::uint32_t chunks;
};

inline std::array<double, 2 * kFieldCount> field_params(const Bm25Params& params) {
  std::array<double, 2 * kFieldCount> out{};
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    out[2 * f] = params.fields[f].weight;
    out[2 * f + 1] = params.fields[f].b;
  }
  return out;
}

inline Stats stats_of(const Bm25Parts& bm25) {
  return {bm25.doc_count, bm25.k1, bm25.average, field_params(Bm25Params{})};
}

// A segment's sections, appended to `sections`.
inline void append_segment(std::vector<std::span<const std::byte>>& sections,
                           const LexicalIndex& index) {
  const auto& bm25 = index.bm25().parts();
  const auto& chunks = index.chunk_parts();
  for (const auto s :
       {std::as_bytes(bm25.term_offsets), std::as_bytes(bm25.term_bytes), std::as_bytes(bm25.terms),
        std::as_bytes(bm25.postings), std::as_bytes(bm25.blocks), std::as_bytes(chunks.records),
        std::as_bytes(chunks.strings), std::as_bytes(chunks.by_url)}) {
    sections.push_back(s);
  }
}

// The documents sections of a base.
struct DocumentTable {
  explicit DocumentTable(std::span<const store::DocumentLayout> documents) {
    std::uint32_t doc = 0;
    for (const auto& d : documents) {
      entries.push_back({strings.size(), static_cast<std::uint32_t>(d.path.size()),
                         static_cast<std::uint32_t>(d.content_sha256.size()), doc,
                         static_cast<std::uint32_t>(d.rows.size())});
      strings.insert(strings.end(), d.path.begin(), d.path.end());
      strings.insert(strings.end(), d.content_sha256.begin(), d.content_sha256.end());
      rows.insert(rows.end(), d.rows.begin(), d.rows.end());
      doc += static_cast<std::uint32_t>(d.rows.size());
    }
  }
  std::vector<DocumentEntry> entries;
  std::vector<char> strings;
  std::vector<std::int64_t> rows;
};

}  // namespace rag::retrieval::lexical_format
