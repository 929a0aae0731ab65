// LexicalIndex: building from stored chunks, viewing stored arrays (see lexical_index.hpp).
#include "retrieval/lexical_index.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "retrieval/tokenizer.hpp"

namespace rag::retrieval {
namespace {

std::string_view slice(std::span<const char> strings, std::uint64_t offset, std::uint32_t size) {
  return {strings.data() + offset, size};
}

}  // namespace

store::ChunkMetadata ChunkView::metadata() const {
  auto parsed = store::ChunkMetadata::parse(metadata_json);
  parsed.overlap = overlap;
  return parsed;
}

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
  std::ranges::stable_sort(storage->by_url, {},
                           [&](std::uint32_t doc) { return index.chunk(doc).url; });
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
                                        std::shared_ptr<const void> keep_alive) {
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
  return LexicalIndex(std::move(*index), chunks, std::move(keep_alive));
}

ChunkView LexicalIndex::chunk(std::uint32_t doc) const {
  const auto& r = chunks_.records[doc];
  const auto& s = chunks_.strings;
  return {r.chunk_id, slice(s, r.text_offset, r.text_size),
          slice(s, r.text_offset + r.text_size, r.metadata_size),
          slice(s, r.text_offset + r.text_size + r.metadata_size, r.url_size), r.overlap};
}

}  // namespace rag::retrieval
