// The lexical index files: their sections, writer and checked readers (see lexical_file.hpp
// and docs/INDEX-FORMAT.md, "lexical.idx"). The incremental update is lexical_update.cpp.
#include "retrieval/lexical_file.hpp"

#include <array>
#include <cstring>

#include "retrieval/lexical_file_format.hpp"
#include "retrieval/section_file.hpp"
#include "store/schema.hpp"

namespace rag::retrieval {
namespace {

namespace BaseSection = lexical_format::BaseSection;
namespace ChangesSection = lexical_format::ChangesSection;
using lexical_format::DocumentEntry;
using lexical_format::Stats;

Result<Stats> read_stats(const section_file::Sections& s, std::size_t id) {
  auto stats = s.as<Stats>(id, "stats");
  if (!stats) return std::unexpected(stats.error());
  if (stats->size() != 1) return fail(ErrorCode::kCorrupt, "lexical index: no stats");
  return (*stats)[0];
}

// The BM25 parameters the file was written with are this build's (else kNotFound: rebuilt).
Result<void> check_params(const Stats& stats) {
  if (stats.k1 != Bm25Params{}.k1 || stats.fields != lexical_format::field_params(Bm25Params{})) {
    return fail(ErrorCode::kNotFound, "lexical index: written with other BM25 parameters");
  }
  return {};
}

// A segment's index from sections [first, first + kSegmentSections) of `s`.
Result<LexicalIndex> view_segment(const section_file::Sections& s, std::size_t first,
                                  const Stats& stats) {
  using lexical_format::SegmentSection;
  const auto at = [first](SegmentSection id) { return first + static_cast<std::size_t>(id); };
  Bm25Parts bm25;
  ChunkParts chunks;
  const auto take = [&s](auto& out, std::size_t id, const char* name) -> Result<void> {
    auto span = s.as<typename std::remove_reference_t<decltype(out)>::element_type>(id, name);
    if (!span) return std::unexpected(span.error());
    out = *span;
    return {};
  };
  RAG_TRY(take(bm25.term_offsets, at(SegmentSection::kTermOffsets), "term offsets"));
  RAG_TRY(take(bm25.term_bytes, at(SegmentSection::kTermBytes), "term bytes"));
  RAG_TRY(take(bm25.terms, at(SegmentSection::kTerms), "terms"));
  RAG_TRY(take(bm25.postings, at(SegmentSection::kPostings), "postings"));
  RAG_TRY(take(bm25.blocks, at(SegmentSection::kBlocks), "blocks"));
  RAG_TRY(take(chunks.records, at(SegmentSection::kRecords), "chunk records"));
  RAG_TRY(take(chunks.strings, at(SegmentSection::kStrings), "strings"));
  RAG_TRY(take(chunks.by_url, at(SegmentSection::kByUrl), "url order"));
  if (s.fd >= 0) {
    chunks.strings_fd = s.fd;
    chunks.strings_offset = s.offsets[at(SegmentSection::kStrings)];
  }
  bm25.doc_count = stats.doc_count;
  bm25.k1 = stats.k1;
  bm25.average = stats.average;
  return LexicalIndex::view(bm25, chunks, s.keep_alive, s.lazy);
}

Result<LexicalIndex> view_base(const section_file::Sections& s, std::string_view generation) {
  if (s.text(BaseSection::kGeneration) != generation) {
    return fail(ErrorCode::kNotFound, "lexical index: written for another index generation");
  }
  auto stats = read_stats(s, BaseSection::kStats);
  if (!stats) return std::unexpected(stats.error());
  RAG_TRY(check_params(*stats));
  return view_segment(s, BaseSection::kSegment, *stats);
}

Result<LexicalIndex> view_changes(LexicalIndex base, std::uint64_t base_checksum,
                                  const section_file::Sections& s, std::string_view generation) {
  if (s.text(ChangesSection::kGeneration) != generation) {
    return fail(ErrorCode::kNotFound,
                "lexical index changes: written for another index generation");
  }
  auto of_base = s.as<std::uint64_t>(ChangesSection::kBase, "base");
  if (!of_base) return std::unexpected(of_base.error());
  if (of_base->size() != 1 || (*of_base)[0] != base_checksum) {
    return fail(ErrorCode::kNotFound, "lexical index changes: written for another base");
  }
  auto stats = read_stats(s, ChangesSection::kStats);
  if (!stats) return std::unexpected(stats.error());
  RAG_TRY(check_params(*stats));
  if (stats->average != base.bm25().parts().average) {
    return fail(ErrorCode::kCorrupt, "lexical index changes: other average lengths than the base");
  }
  auto added_stats = *stats;
  LexicalChanges changes;
  changes.doc_count = stats->doc_count;
  const auto take = [&s](auto& out, std::size_t id, const char* name) -> Result<void> {
    auto span = s.as<typename std::remove_reference_t<decltype(out)>::element_type>(id, name);
    if (!span) return std::unexpected(span.error());
    out = *span;
    return {};
  };
  RAG_TRY(take(changes.base_position, ChangesSection::kBasePosition, "base positions"));
  RAG_TRY(take(changes.added_position, ChangesSection::kAddedPosition, "added positions"));
  RAG_TRY(take(changes.removed_offsets, ChangesSection::kRemovedOffsets, "removed offsets"));
  RAG_TRY(take(changes.removed_bytes, ChangesSection::kRemovedBytes, "removed terms"));
  RAG_TRY(take(changes.removed_counts, ChangesSection::kRemovedCounts, "removed counts"));
  added_stats.doc_count = changes.added_position.size();
  auto added = view_segment(s, ChangesSection::kSegment, added_stats);
  if (!added) return std::unexpected(added.error());
  return LexicalIndex::combine(std::move(base), std::move(*added), changes, s.keep_alive);
}

// The documents of a base: entries that tile its docs in order, within their strings.
Result<LexicalBase> read_base(const section_file::Sections& s, Result<LexicalIndex> index) {
  if (!index) return std::unexpected(index.error());
  const auto corrupt = [](const std::string& why) {
    return fail(ErrorCode::kCorrupt, "lexical index: " + why);
  };
  auto entries = s.as<DocumentEntry>(BaseSection::kDocuments, "documents");
  auto rows = s.as<std::int64_t>(BaseSection::kRows, "rows");
  if (!entries) return std::unexpected(entries.error());
  if (!rows) return std::unexpected(rows.error());
  const auto strings = s.text(BaseSection::kDocumentStrings);
  if (rows->size() != index->size()) return corrupt("rows do not match the chunks");
  LexicalBase base{
      std::move(*index), {}, std::string(s.text(BaseSection::kGeneration)), s.checksum};
  std::uint64_t doc = 0;
  for (const auto& e : *entries) {
    const std::uint64_t length = std::uint64_t{e.path_size} + e.hash_size;
    if (e.first_doc != doc || e.chunks == 0 || e.chunks > rows->size() - doc ||
        e.strings_offset > strings.size() || length > strings.size() - e.strings_offset) {
      return corrupt("document " + std::to_string(base.documents.size()) + " out of bounds");
    }
    base.documents.push_back(
        {std::string(strings.substr(e.strings_offset, e.path_size)),
         std::string(strings.substr(e.strings_offset + e.path_size, e.hash_size)),
         {rows->begin() + static_cast<std::ptrdiff_t>(doc),
          rows->begin() + static_cast<std::ptrdiff_t>(doc + e.chunks)}});
    doc += e.chunks;
  }
  if (doc != rows->size()) return corrupt("documents do not cover the chunks");
  return base;
}

}  // namespace

std::filesystem::path lexical_index_path(const std::filesystem::path& vector_db_path) {
  return vector_db_path / std::string(store::kLexicalFileName);
}

std::filesystem::path lexical_changes_path(const std::filesystem::path& vector_db_path) {
  return vector_db_path / std::string(store::kLexicalChangesFileName);
}

Result<void> save_lexical_index(const LexicalIndex& index, std::string_view generation,
                                std::span<const store::DocumentLayout> documents,
                                const std::filesystem::path& file) {
  const auto& bm25 = index.bm25().parts();
  const Stats stats = lexical_format::stats_of(bm25);
  lexical_format::DocumentTable table(documents);
  std::vector<std::span<const std::byte>> sections{std::as_bytes(std::span(generation)),
                                                   std::as_bytes(std::span(&stats, 1))};
  lexical_format::append_segment(sections, index);
  sections.push_back(std::as_bytes(std::span(table.entries)));
  sections.push_back(std::as_bytes(std::span(table.strings)));
  sections.push_back(std::as_bytes(std::span(table.rows)));
  return section_file::write(file, lexical_format::kBase, sections);
}

std::string saved_lexical_generation(std::span<const std::byte> head, std::uint64_t file_size) {
  return section_file::first_section(head, file_size, lexical_format::kBase);
}

std::string saved_lexical_generation(const std::filesystem::path& file) {
  return section_file::first_section(file, lexical_format::kBase);
}

Result<LexicalIndex> parse_lexical_index(std::span<const std::byte> bytes,
                                         std::string_view generation, bool verify_checksum,
                                         std::shared_ptr<const void> keep_alive) {
  auto s =
      section_file::parse(bytes, lexical_format::kBase, verify_checksum, std::move(keep_alive));
  if (!s) return std::unexpected(s.error());
  return view_base(*s, generation);
}

Result<LexicalBase> parse_lexical_base(std::span<const std::byte> bytes, bool verify_checksum,
                                       std::shared_ptr<const void> keep_alive) {
  auto s =
      section_file::parse(bytes, lexical_format::kBase, verify_checksum, std::move(keep_alive));
  if (!s) return std::unexpected(s.error());
  return read_base(*s, view_base(*s, s->text(BaseSection::kGeneration)));
}

Result<LexicalBase> load_lexical_base(const std::filesystem::path& file) {
  auto s = section_file::map(file, lexical_format::kBase);
  if (!s) return std::unexpected(s.error());
  return read_base(*s, view_base(*s, s->text(BaseSection::kGeneration)));
}

Result<LexicalIndex> parse_lexical_changes(LexicalIndex base, std::uint64_t base_checksum,
                                           std::span<const std::byte> bytes,
                                           std::string_view generation, bool verify_checksum,
                                           std::shared_ptr<const void> keep_alive) {
  auto s =
      section_file::parse(bytes, lexical_format::kChanges, verify_checksum, std::move(keep_alive));
  if (!s) return std::unexpected(s.error());
  return view_changes(std::move(base), base_checksum, *s, generation);
}

namespace {

// The base's sections: the cached ones while the file is the same, else mapped and checked
// (its postings and strings when read, unless `check` says whole).
Result<std::shared_ptr<const section_file::Sections>> map_base(const std::filesystem::path& file,
                                                               LexicalBaseCache* cache,
                                                               LexicalCheck check) {
  if (cache != nullptr && cache->sections) {
    auto cached = std::static_pointer_cast<const section_file::Sections>(cache->sections);
    if (cached->identity == section_file::identity_of(file) &&
        (check == LexicalCheck::kLazily || cached->lazy == nullptr)) {
      return cached;
    }
    cache->sections.reset();
  }
  using lexical_format::SegmentSection;
  constexpr auto in_segment = [](SegmentSection id) {
    return BaseSection::kSegment + static_cast<std::size_t>(id);
  };
  static constexpr std::array kLazy{in_segment(SegmentSection::kPostings),
                                    in_segment(SegmentSection::kStrings)};
  auto mapped =
      section_file::map(file, lexical_format::kBase,
                        check == LexicalCheck::kLazily ? std::span<const std::size_t>(kLazy)
                                                       : std::span<const std::size_t>());
  if (!mapped) return std::unexpected(mapped.error());
  auto shared = std::make_shared<const section_file::Sections>(std::move(*mapped));
  if (cache != nullptr) cache->sections = shared;
  return shared;
}

}  // namespace

Result<LexicalIndex> load_lexical_index(const std::filesystem::path& file,
                                        std::string_view generation, LexicalBaseCache* cache,
                                        LexicalCheck check) {
  auto mapped = map_base(file, cache, check);
  if (!mapped) return std::unexpected(mapped.error());
  const auto& s = *mapped;
  const auto with_file = [](const Error& e, const std::filesystem::path& f) {
    return fail(e.code, e.message + " (" + f.string() + ")");
  };
  const auto base_generation = s->text(BaseSection::kGeneration);
  if (base_generation == generation) {
    auto base = view_base(*s, generation);
    if (!base) return with_file(base.error(), file);
    return base;
  }
  const auto changes_file = lexical_changes_path(file.parent_path());
  if (section_file::first_section(changes_file, lexical_format::kChanges) != generation) {
    return fail(ErrorCode::kNotFound, "lexical index: written for another index generation (" +
                                          file.string() + "), and no changes file for this one");
  }
  auto base = view_base(*s, base_generation);
  if (!base) return with_file(base.error(), file);
  auto changes = section_file::map(changes_file, lexical_format::kChanges);
  if (!changes) return std::unexpected(changes.error());
  auto combined = view_changes(std::move(*base), s->checksum, *changes, generation);
  if (!combined) return with_file(combined.error(), changes_file);
  return combined;
}

}  // namespace rag::retrieval
