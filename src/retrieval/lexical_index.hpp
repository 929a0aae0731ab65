// The lexical half of a snapshot: the BM25F index over every chunk (bm25.hpp) and the chunks it
// answers with (id, text, stored metadata, overlap), as flat arrays that a build owns or that
// the lexical index file's memory map holds (lexical_file.hpp). Either way a search reads the
// same arrays, so the server answers the same from a loaded file as from a build.
//
// A chunk's lexical document is its text plus its page title and section heading.
//
// Thread-safety: immutable; every const method may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "retrieval/bm25.hpp"
#include "store/chunk_metadata.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval {

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
};

struct ChunkView {
  std::int64_t chunk_id = 0;
  std::string_view text;
  std::string_view metadata_json;
  std::string_view url;
  std::int32_t overlap = 0;

  store::ChunkMetadata metadata() const;  // parsed (some microseconds)
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
  static Result<LexicalIndex> view(const Bm25Parts& bm25, const ChunkParts& chunks,
                                   std::shared_ptr<const void> keep_alive);

  const Bm25Index& bm25() const { return bm25_; }
  std::size_t size() const { return chunks_.records.size(); }
  // REQUIRES: doc < size().
  ChunkView chunk(std::uint32_t doc) const;
  std::span<const std::uint32_t> by_url() const { return chunks_.by_url; }
  const ChunkParts& chunk_parts() const { return chunks_; }

 private:
  LexicalIndex(Bm25Index bm25, ChunkParts chunks, std::shared_ptr<const void> storage)
      : bm25_(std::move(bm25)), chunks_(chunks), storage_(std::move(storage)) {}

  Bm25Index bm25_;
  ChunkParts chunks_;
  std::shared_ptr<const void> storage_;  // what chunks_ views
};

}  // namespace rag::retrieval
