// LexicalIndex: building from stored chunks, viewing stored arrays (see lexical_index.hpp).
#include "retrieval/lexical_index.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>

#include "retrieval/section_file.hpp"
#include "retrieval/tokenizer.hpp"

namespace rag::retrieval {
namespace {

std::string_view slice(std::span<const char> strings, std::uint64_t offset, std::uint32_t size) {
  return {strings.data() + offset, size};
}

// In LexicalIndex::Changes::locate: the doc is the added index's.
constexpr std::uint32_t kAddedBit = 0x80000000;
constexpr std::uint32_t kUnset = 0xFFFFFFFF;

}  // namespace

store::ChunkMetadata ChunkView::metadata() const {
  auto parsed = store::ChunkMetadata::parse(metadata_json());
  parsed.overlap = overlap;
  return parsed;
}

struct LexicalIndex::Changes {
  LexicalIndex added;
  LexicalChanges changes;
  std::vector<std::uint32_t> locate;  // by doc of the whole: base doc, or added doc | kAddedBit
  std::shared_ptr<const void> keep_alive;

  // The removed base documents that held `term` (changes.removed_*).
  std::uint32_t removed(std::string_view term) const {
    const auto i = Vocabulary{changes.removed_offsets, changes.removed_bytes}.find(term);
    return i < 0 ? 0 : changes.removed_counts[static_cast<std::size_t>(i)];
  }
};

struct LexicalIndex::Storage {
  std::vector<ChunkRecord> records;
  std::vector<char> strings;
  std::vector<std::uint32_t> by_url;
};

// tokenize() with a stem cache: a corpus has far fewer distinct words than words, and
// stemming dominates the build time otherwise.
struct LexicalIndex::Builder::Tokenizer {
  std::vector<std::string> operator()(std::string_view text) {
    std::vector<std::string> out;
    for (auto& word : split_words(text)) {
      if (is_stop_word(word)) continue;
      auto it = cache.find(word);
      if (it == cache.end()) it = cache.emplace(word, stem(word)).first;
      out.push_back(it->second);
    }
    return out;
  }

  std::unordered_map<std::string, std::string> cache;
};

LexicalIndex::Builder::Builder(const Bm25Params& params)
    : bm25_(params), tokenize_(new Tokenizer()), storage_(std::make_shared<Storage>()) {}

LexicalIndex::Builder::~Builder() = default;

void LexicalIndex::Builder::add(const store::StoredChunk& c) {
  auto& tokenize = *tokenize_;
  bm25_.add({tokenize(c.text), tokenize(c.metadata.page_title), tokenize(c.metadata.heading())});
  const std::string json = c.metadata.to_stored_json();
  const auto& url = c.metadata.citation_url;
  auto& s = *storage_;
  s.records.push_back({c.chunk_id, s.strings.size(), static_cast<std::uint32_t>(c.text.size()),
                       static_cast<std::uint32_t>(json.size()),
                       static_cast<std::uint32_t>(url.size()), c.metadata.overlap});
  s.strings.insert(s.strings.end(), c.text.begin(), c.text.end());
  s.strings.insert(s.strings.end(), json.begin(), json.end());
  s.strings.insert(s.strings.end(), url.begin(), url.end());
}

LexicalIndex LexicalIndex::Builder::build() && {
  auto storage = std::move(storage_);
  ChunkParts parts{storage->records, storage->strings, {}};
  LexicalIndex index(std::move(bm25_).build(), parts, nullptr);
  for (std::uint32_t doc = 0; doc < storage->records.size(); ++doc) {
    if (storage->records[doc].url_size > 0) storage->by_url.push_back(doc);
  }
  const auto url_of = [&storage](std::uint32_t doc) {
    const auto& r = storage->records[doc];
    return slice(storage->strings, r.text_offset + r.text_size + r.metadata_size, r.url_size);
  };
  std::ranges::stable_sort(storage->by_url, {}, url_of);
  index.chunks_.by_url = storage->by_url;
  index.storage_ = std::move(storage);
  return index;
}

LexicalIndex LexicalIndex::build(const std::vector<store::StoredChunk>& chunks,
                                 const Bm25Params& params) {
  Builder builder(params);
  for (const auto& c : chunks) builder.add(c);
  return std::move(builder).build();
}

Result<LexicalIndex> LexicalIndex::view(const Bm25Parts& bm25, const ChunkParts& chunks,
                                        std::shared_ptr<const void> keep_alive,
                                        const section_file::LazyPieces* lazy) {
  const auto corrupt = [](const std::string& why) {
    return fail(ErrorCode::kCorrupt, "lexical index: " + why);
  };
  if (bm25.doc_count != chunks.records.size()) {
    return corrupt("BM25 counts " + std::to_string(bm25.doc_count) + " documents, the chunk " +
                   "table " + std::to_string(chunks.records.size()));
  }
  auto index = Bm25Index::view(bm25, keep_alive);
  if (!index) return std::unexpected(index.error());
  const std::uint64_t size = chunks.strings.size();
  for (std::size_t i = 0; i < chunks.records.size(); ++i) {
    const auto& r = chunks.records[i];
    const std::uint64_t length =
        std::uint64_t{r.text_size} + r.metadata_size + std::uint64_t{r.url_size};
    if (r.text_offset > size || length > size - r.text_offset) {
      return corrupt("the strings of chunk " + std::to_string(i) + " are out of bounds");
    }
  }
  for (const auto doc : chunks.by_url) {
    if (doc >= chunks.records.size()) return corrupt("the url order names no chunk");
  }
  return LexicalIndex(std::move(*index), chunks, std::move(keep_alive), lazy);
}

Result<LexicalIndex> LexicalIndex::combine(LexicalIndex base, LexicalIndex added,
                                           const LexicalChanges& changes,
                                           std::shared_ptr<const void> keep_alive) {
  const auto corrupt = [](const std::string& why) {
    return fail(ErrorCode::kCorrupt, "lexical index changes: " + why);
  };
  if (base.combined() || added.combined()) return corrupt("a segment is itself combined");
  if (base.bm25_.parts().k1 != added.bm25_.parts().k1) return corrupt("k1 differs");
  if (changes.base_position.size() != base.size() ||
      changes.added_position.size() != added.size()) {
    return corrupt("positions do not match the segments' sizes");
  }
  const std::uint64_t n = changes.doc_count;
  const auto kept = static_cast<std::uint64_t>(
      changes.base_position.size() - std::ranges::count(changes.base_position, kBm25Removed));
  if (n >= kAddedBit || n != kept + changes.added_position.size()) {
    return corrupt("the whole's size is not the kept and added chunks'");
  }
  std::vector<std::uint32_t> locate(n, kUnset);
  const auto place = [&](std::span<const std::uint32_t> positions,
                         std::uint32_t tag) -> Result<void> {
    std::int64_t previous = -1;
    for (std::uint32_t doc = 0; doc < positions.size(); ++doc) {
      const std::uint32_t at = positions[doc];
      if (at == kBm25Removed && tag == 0) continue;
      // Ascending within a segment: the order search results tie in.
      if (at >= n || static_cast<std::int64_t>(at) <= previous || locate[at] != kUnset) {
        return corrupt("position " + std::to_string(at) + " out of range, order or given twice");
      }
      locate[at] = doc | tag;
      previous = at;
    }
    return {};
  };
  RAG_TRY(place(changes.base_position, 0));
  RAG_TRY(place(changes.added_position, kAddedBit));
  if (std::ranges::find(locate, kUnset) != locate.end()) {
    return corrupt("some documents have no place");
  }
  RAG_TRY((Vocabulary{changes.removed_offsets, changes.removed_bytes}.check(
      changes.removed_counts.size(), "lexical index changes: removed terms")));
  base.changes_ = std::make_shared<const Changes>(
      Changes{std::move(added), changes, std::move(locate), std::move(keep_alive)});
  return base;
}

void LexicalIndex::verify_postings(const std::vector<std::string>& query_terms) const {
  if (lazy_ == nullptr) return;
  // The verdict is kept for intact(); the search reads within bounds either way.
  for (const auto& term : query_terms) (void)lazy_->verify(std::as_bytes(bm25_.postings(term)));
}

Result<void> LexicalIndex::intact() const {
  return lazy_ == nullptr ? Result<void>{} : lazy_->intact();
}

std::vector<ScoredDoc> LexicalIndex::search(const std::vector<std::string>& query_terms,
                                            std::size_t limit) const {
  verify_postings(query_terms);
  if (!changes_) return bm25_.search(query_terms, limit);
  Bm25Scope scope;
  for (const auto& term : query_terms) scope.idf.push_back(idf(term));
  scope.position = changes_->changes.base_position;
  auto hits = bm25_.search(query_terms, limit, &scope);
  scope.position = changes_->changes.added_position;
  auto added = changes_->added.bm25_.search(query_terms, limit, &scope);
  // The best `limit` of both, as one index would order them: higher score, then lower doc.
  const auto better = [](const ScoredDoc& a, const ScoredDoc& b) {
    return a.score != b.score ? a.score > b.score : a.doc < b.doc;
  };
  std::vector<ScoredDoc> out(hits.size() + added.size());
  std::ranges::merge(hits, added, out.begin(), better);
  if (out.size() > limit) out.resize(limit);
  return out;
}

double LexicalIndex::idf(const std::string& term) const {
  if (!changes_) return bm25_.idf(term);
  const std::int64_t holding =
      std::int64_t{bm25_.count(term)} - changes_->removed(term) + changes_->added.bm25_.count(term);
  return Bm25Index::idf(static_cast<std::uint64_t>(std::max<std::int64_t>(holding, 0)),
                        changes_->changes.doc_count);
}

double LexicalIndex::relevance_bound(const std::vector<std::string>& query_terms) const {
  return Bm25Index::relevance_bound(query_terms,
                                    [this](const std::string& term) { return idf(term); });
}

std::size_t LexicalIndex::size() const {
  return changes_ ? static_cast<std::size_t>(changes_->changes.doc_count) : chunks_.records.size();
}

std::span<const std::uint32_t> LexicalIndex::own_with_url(std::string_view url) const {
  const auto url_of = [this](std::uint32_t doc) { return own_url(doc); };
  const auto first = std::ranges::lower_bound(chunks_.by_url, url, std::less<>(), url_of);
  const auto last =
      std::ranges::upper_bound(first, chunks_.by_url.end(), url, std::less<>(), url_of);
  return {first, last};
}

std::vector<std::uint32_t> LexicalIndex::with_url(std::string_view url) const {
  const auto base = own_with_url(url);
  if (!changes_) return {base.begin(), base.end()};
  // Each segment's docs keep their order in the whole: map both, then merge.
  std::vector<std::uint32_t> kept;
  for (const auto doc : base) {
    if (const auto at = changes_->changes.base_position[doc]; at != kBm25Removed) {
      kept.push_back(at);
    }
  }
  std::vector<std::uint32_t> added;
  for (const auto doc : changes_->added.own_with_url(url)) {
    added.push_back(changes_->changes.added_position[doc]);
  }
  std::vector<std::uint32_t> out(kept.size() + added.size());
  std::ranges::merge(kept, added, out.begin());
  return out;
}

ChunkView LexicalIndex::chunk(std::uint32_t doc) const {
  if (!changes_) return own_chunk(doc);
  const std::uint32_t at = changes_->locate[doc];
  auto view = (at & kAddedBit) != 0 ? changes_->added.own_chunk(at & ~kAddedBit) : own_chunk(at);
  view.chunk_id = doc;
  return view;
}

// Bytes [offset, offset + size) of a chunk's strings: read from the file when the index has
// one (ChunkParts::strings_fd), else copied from `strings`; verified first when read lazily.
std::string LexicalIndex::read_strings(std::uint64_t offset, std::size_t size) const {
  const auto& parts = chunks_;
  if (lazy_ != nullptr) (void)lazy_->verify(parts.strings_offset + offset, size);  // intact()
  std::string out(size, '\0');
  std::size_t done = 0;
  while (parts.strings_fd >= 0 && done < size) {
    const ssize_t n = ::pread(parts.strings_fd, out.data() + done, size - done,
                              static_cast<off_t>(parts.strings_offset + offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // then through the map, which fails as loudly as the file
    done += static_cast<std::size_t>(n);
  }
  if (done < size)
    std::memcpy(out.data() + done, parts.strings.data() + offset + done, size - done);
  return out;
}

ChunkView LexicalIndex::own_chunk(std::uint32_t doc) const {
  const auto& r = chunks_.records[doc];
  return {r.chunk_id, r.overlap,
          read_strings(r.text_offset, std::size_t{r.text_size} + r.metadata_size + r.url_size),
          r.text_size, r.metadata_size};
}

std::string LexicalIndex::own_url(std::uint32_t doc) const {
  const auto& r = chunks_.records[doc];
  return read_strings(r.text_offset + r.text_size + r.metadata_size, r.url_size);
}

}  // namespace rag::retrieval
