// The indexer's side of the lexical index files (see lexical_file.hpp): up to date, the changes
// since the base, or a new base.
//
// The changes are found by comparing the documents the base holds with the index's
// (store::DocumentLayout: path, content hash, chunk rows), both in chunk order: a document
// equal in all three has the same chunks, which keep their place relative to each other; every
// other current document is read and tokenized, and every other base document is removed. The
// removed documents' term counts come from the base's postings, so the idf of every term is the
// one a full build would compute. Cost: the base's checksum pass, the comparison (a covering
// index scan of index.sqlite), the changed documents and one pass over the postings; seconds at
// a million chunks where a full build takes minutes.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/elapsed.hpp"
#include "retrieval/lexical_file.hpp"
#include "retrieval/lexical_file_format.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval {
namespace {

namespace fs = std::filesystem;
namespace ChangesSection = lexical_format::ChangesSection;

// The changes file's content once the documents are compared.
struct Changes {
  std::vector<std::uint32_t> base_position;
  std::vector<std::uint32_t> added_position;
  std::vector<std::pair<std::string, std::uint32_t>> added_documents;  // path, first doc
  std::size_t added = 0;                                               // chunks
  std::size_t removed = 0;                                             // base chunks
  std::uint64_t doc_count = 0;
};

Changes compare(const std::vector<store::DocumentLayout>& base,
                const std::vector<store::DocumentLayout>& current, std::size_t base_chunks) {
  Changes out;
  out.base_position.assign(base_chunks, kBm25Removed);
  std::size_t i = 0;
  std::uint32_t base_doc = 0;  // the first chunk of base[i]
  std::uint32_t at = 0;        // the first chunk of current[j] in the whole
  std::size_t kept = 0;
  for (const auto& doc : current) {
    while (i < base.size() && base[i].path < doc.path) base_doc += base[i++].rows.size();
    const bool same = i < base.size() && base[i].path == doc.path &&
                      base[i].content_sha256 == doc.content_sha256 && base[i].rows == doc.rows;
    if (same) {
      for (std::uint32_t k = 0; k < doc.rows.size(); ++k) out.base_position[base_doc + k] = at + k;
      kept += doc.rows.size();
    } else {
      out.added_documents.emplace_back(doc.path, at);
      for (std::uint32_t k = 0; k < doc.rows.size(); ++k) out.added_position.push_back(at + k);
      out.added += doc.rows.size();
    }
    at += static_cast<std::uint32_t>(doc.rows.size());
  }
  out.removed = base_chunks - kept;
  out.doc_count = at;
  return out;
}

// Per term of the base, the removed documents holding it (LexicalChanges' removed_*).
struct RemovedTerms {
  std::vector<std::uint64_t> offsets{0};
  std::vector<char> bytes;
  std::vector<std::uint32_t> counts;
};

RemovedTerms removed_terms(const Bm25Parts& bm25, const std::vector<std::uint32_t>& position) {
  RemovedTerms out;
  for (std::size_t t = 0; t < bm25.terms.size(); ++t) {
    const auto& term = bm25.terms[t];
    std::uint32_t count = 0;
    for (const auto& p : bm25.postings.subspan(term.first, term.count)) {
      count += p.doc < position.size() && position[p.doc] == kBm25Removed ? 1 : 0;
    }
    if (count == 0) continue;
    const auto from = bm25.term_offsets[t];
    out.bytes.insert(
        out.bytes.end(), bm25.term_bytes.begin() + static_cast<std::ptrdiff_t>(from),
        bm25.term_bytes.begin() + static_cast<std::ptrdiff_t>(bm25.term_offsets[t + 1]));
    out.offsets.push_back(out.bytes.size());
    out.counts.push_back(count);
  }
  return out;
}

// The index's id in a content generation ("<index_id>:<n>"); "" for an older form.
std::string_view index_id(std::string_view generation) {
  const auto colon = generation.find(':');
  return colon == std::string_view::npos ? std::string_view() : generation.substr(0, colon);
}

// The changes file for `generation` over the base in `dir`; nullopt (with the reason logged)
// when a new base is needed instead.
Result<std::optional<LexicalUpdate>> write_changes(const store::IndexReader& reader,
                                                   const std::string& generation,
                                                   const fs::path& dir,
                                                   std::chrono::steady_clock::time_point start) {
  const auto file = lexical_index_path(dir);
  const auto rebuild = [&file](const std::string& why) {
    spdlog::info("Rebuilding {}: {}", file.string(), why);
    return std::optional<LexicalUpdate>();
  };
  if (!fs::exists(file)) return rebuild("it does not exist");
  auto base = load_lexical_base(file);
  if (!base) return rebuild(base.error().message);
  if (index_id(base->generation).empty() || index_id(base->generation) != index_id(generation)) {
    return rebuild("it was written for another index");
  }
  auto layout = reader.layout();
  if (!layout) {
    if (layout.error().code == ErrorCode::kNotFound) return rebuild(layout.error().message);
    return std::unexpected(layout.error());
  }
  auto changes = compare(base->documents, *layout, base->index.size());
  if (changes.added + changes.removed > base->index.size() / 10) {
    return rebuild(std::to_string(changes.added) + " chunks added and " +
                   std::to_string(changes.removed) + " removed since it was built, over a " +
                   "tenth of its " + std::to_string(base->index.size()));
  }
  LexicalIndex::Builder builder;
  builder.use_averages(base->index.bm25().parts().average);
  std::size_t read = 0;
  for (const auto& [path, first] : changes.added_documents) {
    RAG_TRY(reader.visit_document_chunks(path, first,
                                         [&builder, &read](store::StoredChunk&& c) -> Result<void> {
                                           builder.add(c);
                                           ++read;
                                           return {};
                                         }));
  }
  if (read != changes.added) {
    return fail(ErrorCode::kInternal, "the index changed while the lexical index was updated");
  }
  const auto added = std::move(builder).build();
  const auto removed = removed_terms(base->index.bm25().parts(), changes.base_position);

  auto stats = lexical_format::stats_of(base->index.bm25().parts());
  stats.doc_count = changes.doc_count;
  const std::uint64_t base_checksum = base->checksum;
  std::vector<std::span<const std::byte>> sections{std::as_bytes(std::span(generation)),
                                                   std::as_bytes(std::span(&stats, 1)),
                                                   std::as_bytes(std::span(&base_checksum, 1)),
                                                   std::as_bytes(std::span(changes.base_position)),
                                                   std::as_bytes(std::span(changes.added_position)),
                                                   std::as_bytes(std::span(removed.offsets)),
                                                   std::as_bytes(std::span(removed.bytes)),
                                                   std::as_bytes(std::span(removed.counts))};
  lexical_format::append_segment(sections, added);
  RAG_TRY(section_file::write(lexical_changes_path(dir), lexical_format::kChanges, sections));
  LexicalUpdate update;
  update.written = true;
  update.incremental = true;
  update.chunks = changes.doc_count;
  update.added = changes.added;
  update.removed = changes.removed;
  update.seconds = seconds_since(start);
  spdlog::info(
      "Stored the lexical index changes in {} ({} chunks: {} added and {} removed "
      "since the base, {:.1f}s)",
      lexical_changes_path(dir).string(), update.chunks, update.added, update.removed,
      update.seconds);
  return update;
}

}  // namespace

Result<LexicalUpdate> update_lexical_index(const fs::path& vector_db_path) {
  const auto start = std::chrono::steady_clock::now();
  const auto file = lexical_index_path(vector_db_path);
  const auto changes_file = lexical_changes_path(vector_db_path);
  auto reader = store::IndexReader::open(vector_db_path);
  if (!reader) return std::unexpected(reader.error());
  auto generation = (*reader)->content_generation();
  if (!generation) return std::unexpected(generation.error());
  std::error_code ignored;
  const bool base_current = saved_lexical_generation(file) == *generation;
  if (base_current ||
      section_file::first_section(changes_file, lexical_format::kChanges) == *generation) {
    if (auto current = load_lexical_index(file, *generation)) {
      if (base_current) fs::remove(changes_file, ignored);  // stale, if any
      LexicalUpdate update;
      update.chunks = current->size();
      return update;
    } else {
      spdlog::warn("Rewriting the lexical index: {}", current.error().message);
    }
  }
  auto incremental = write_changes(**reader, *generation, vector_db_path, start);
  if (!incremental) return std::unexpected(incremental.error());
  if (*incremental) return **incremental;

  LexicalIndex::Builder builder;
  RAG_TRY((*reader)->visit_chunks(store::IndexReader::Columns::kEverything,
                                  [&builder](store::StoredChunk&& chunk) -> Result<void> {
                                    builder.add(chunk);
                                    return {};
                                  }));
  const auto index = std::move(builder).build();
  auto layout = (*reader)->layout();
  if (!layout) {
    if (layout.error().code != ErrorCode::kNotFound) return std::unexpected(layout.error());
    layout = std::vector<store::DocumentLayout>{};
  }
  RAG_TRY(save_lexical_index(index, *generation, *layout, file));
  fs::remove(changes_file, ignored);
  LexicalUpdate update;
  update.written = true;
  update.chunks = index.size();
  update.seconds = seconds_since(start);
  spdlog::info("Stored the lexical index in {} ({} chunks, {:.1f}s)", file.string(), update.chunks,
               update.seconds);
  return update;
}

}  // namespace rag::retrieval
