// The lexical half of a snapshot: the BM25F index over every chunk (bm25.hpp) and the chunks it
// answers with (id, text, stored metadata, overlap), as flat arrays that a build owns or that
// the lexical index file's memory map holds (lexical_file.hpp). Either way a search reads the
// same arrays, so the server answers the same from a loaded file as from a build.
//
// A chunk's lexical document is its text plus its page title and section heading.
//
// Incremental: an index is either one segment, or a base plus the changes since it (combine(),
// which lexical_file.hpp stores so that re-indexing after a small edit costs seconds, not a full
// rebuild). The changes are an index of the added chunks, scored with the base's average field
// lengths, the base documents that were removed, and where every document lies in the whole
// (chunk order). A search of a combined index weighs each term by its idf over the whole and
// gives exactly what one index built from the same chunks with the base's average lengths
// would: same documents, same scores, bit for bit. Only the length normalisation can differ
// from a full rebuild, by as much as the average lengths moved since the base; the indexer
// rebuilds the base once the changes hold a tenth of the chunks.
//
// Thread-safety: immutable; every const method may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "retrieval/bm25.hpp"
#include "store/chunk_metadata.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval {

namespace section_file {
class LazyPieces;
}

// One chunk as stored: its strings are strings[text_offset, ...): the text, then the stored
// metadata JSON (ChunkMetadata::to_stored_json), then the citation url.
struct ChunkRecord {
  std::int64_t chunk_id;
  std::uint64_t text_offset;
  std::uint32_t text_size;
  std::uint32_t metadata_size;
  std::uint32_t url_size;
  std::int32_t overlap;  // ChunkMetadata::overlap
};

struct ChunkParts {
  std::span<const ChunkRecord> records;  // by doc id, in chunk order
  std::span<const char> strings;
  std::span<const std::uint32_t> by_url;  // docs with a citation url, by (url, doc)
  // For an index mapped from a file: `strings` read with pread(2) from this descriptor at this
  // offset rather than through the map. A page of a large file's page cache is mapped with its
  // whole folio, so at a million chunks the texts of SciFact's 8,090 results made 1.2 GB of
  // the 1.7 GB of strings resident; read, they cost what they are. -1: read `strings`.
  int strings_fd = -1;
  std::uint64_t strings_offset = 0;
};

// The changes since a base index, as combine() takes them.
struct LexicalChanges {
  std::span<const std::uint32_t> base_position;   // by base doc: its doc, or kBm25Removed
  std::span<const std::uint32_t> added_position;  // by added doc: its doc
  // Per term (sorted, as Bm25Parts' vocabulary), the removed base documents that held it:
  // n_t = base n_t - removed + added n_t.
  std::span<const std::uint64_t> removed_offsets;
  std::span<const char> removed_bytes;
  std::span<const std::uint32_t> removed_counts;
  std::uint64_t doc_count = 0;  // of the whole
};

// One chunk, its strings copied out of the index.
class ChunkView {
 public:
  ChunkView(std::int64_t chunk_id, std::int32_t overlap, std::string bytes, std::uint32_t text_size,
            std::uint32_t metadata_size)
      : chunk_id(chunk_id),
        overlap(overlap),
        bytes_(std::move(bytes)),
        text_size_(text_size),
        metadata_size_(metadata_size) {}

  std::int64_t chunk_id = 0;
  std::int32_t overlap = 0;
  std::string_view text() const { return std::string_view(bytes_).substr(0, text_size_); }
  std::string_view metadata_json() const {
    return std::string_view(bytes_).substr(text_size_, metadata_size_);
  }
  std::string_view url() const {
    return std::string_view(bytes_).substr(std::size_t{text_size_} + metadata_size_);
  }
  store::ChunkMetadata metadata() const;  // parsed (some microseconds)

 private:
  std::string bytes_;  // the text, the metadata JSON, the url
  std::uint32_t text_size_ = 0;
  std::uint32_t metadata_size_ = 0;
};

class LexicalIndex {
  struct Storage;  // a built index's arrays

 public:
  // Adds chunks one at a time (so a large index need not be held as StoredChunks), then
  // build(). Tokenizes every chunk: ~10k chunks a second.
  class Builder {
   public:
    explicit Builder(const Bm25Params& params = {});
    ~Builder();
    void add(const store::StoredChunk& chunk);  // the next doc id
    // See Bm25Index::Builder::use_averages: for the chunks added since a base index.
    void use_averages(const std::array<double, kFieldCount>& average) {
      bm25_.use_averages(average);
    }
    LexicalIndex build() &&;

   private:
    struct Tokenizer;
    Bm25Index::Builder bm25_;
    std::unique_ptr<Tokenizer> tokenize_;
    std::shared_ptr<Storage> storage_;
  };

  static LexicalIndex build(const std::vector<store::StoredChunk>& chunks,
                            const Bm25Params& params = {});
  // Over arrays owned elsewhere (see Bm25Index::view). kCorrupt when they are not a well-formed
  // index: BM25 and chunk counts differ, a record's strings lie outside `strings`, a by-url
  // entry names no chunk. O(chunks + terms).
  // `lazy`: the pieces of the mapped file whose checksum is verified when read (the postings'
  // and the strings'), alive while `keep_alive` lives; null when every byte was verified.
  static Result<LexicalIndex> view(const Bm25Parts& bm25, const ChunkParts& chunks,
                                   std::shared_ptr<const void> keep_alive,
                                   const section_file::LazyPieces* lazy = nullptr);

  // A base and the changes since (see the top), whose arrays `keep_alive` holds. kCorrupt
  // when they do not fit: positions out of range, out of order within a segment or given
  // twice, counts that do not add up, an unsorted removed vocabulary, other BM25 parameters.
  // O(documents + removed terms).
  static Result<LexicalIndex> combine(LexicalIndex base, LexicalIndex added,
                                      const LexicalChanges& changes,
                                      std::shared_ptr<const void> keep_alive);

  // Bm25Index::search, relevance and idf over the whole index. Of an index read lazily, the
  // query terms' postings are verified first (see intact()).
  std::vector<ScoredDoc> search(const std::vector<std::string>& query_terms,
                                std::size_t limit) const;
  double relevance(double score, const std::vector<std::string>& query_terms) const {
    return Bm25Index::relevance_within(score, relevance_bound(query_terms));
  }
  double relevance_bound(const std::vector<std::string>& query_terms) const;
  double idf(const std::string& term) const;

  std::size_t size() const;
  // REQUIRES: doc < size(). Its chunk_id is `doc`: a chunk's place in chunk order.
  ChunkView chunk(std::uint32_t doc) const;
  // The docs whose citation url is `url`, in chunk order. O(log n + their count).
  std::vector<std::uint32_t> with_url(std::string_view url) const;
  bool combined() const { return changes_ != nullptr; }
  // kCorrupt when bytes of the file under this index failed their checksum when first read
  // (section_file::LazyPieces): search() and chunk() may then have read them, so a reader checks
  // this before it answers with what they returned. Always fine for an index verified whole.
  Result<void> intact() const;

  // The base's (or only segment's) arrays, for the lexical index file's writer.
  const Bm25Index& bm25() const { return bm25_; }
  const ChunkParts& chunk_parts() const { return chunks_; }

 private:
  struct Changes;
  LexicalIndex(Bm25Index bm25, ChunkParts chunks, std::shared_ptr<const void> storage,
               const section_file::LazyPieces* lazy = nullptr)
      : bm25_(std::move(bm25)), chunks_(chunks), storage_(std::move(storage)), lazy_(lazy) {}
  void verify_postings(const std::vector<std::string>& query_terms) const;
  std::string read_strings(std::uint64_t offset, std::size_t size) const;
  ChunkView own_chunk(std::uint32_t doc) const;
  std::string own_url(std::uint32_t doc) const;
  std::span<const std::uint32_t> own_with_url(std::string_view url) const;

  Bm25Index bm25_;
  ChunkParts chunks_;
  std::shared_ptr<const void> storage_;  // what chunks_ views
  const section_file::LazyPieces* lazy_ = nullptr;  // in storage_, when read lazily
  std::shared_ptr<const Changes> changes_;  // null: one segment
};

}  // namespace rag::retrieval
