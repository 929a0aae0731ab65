// An immutable, searchable picture of the index: BM25 over every chunk, a FAISS index over the
// chunks that have vectors, and the chunk texts and metadata to answer with. Built once from
// the store's chunks (start-up, SIGHUP, or a changed index on disk) and shared by
// std::shared_ptr<const Snapshot>; a new build never disturbs searches on an old one.
//
// The lexical half (BM25 and the chunks to answer with) is a LexicalIndex: built from the
// chunks, or loaded from the lexical index file that `rag-server index` stores
// (lexical_file.hpp), which makes starting at a million chunks a matter of seconds.
//
// Search (src/retrieval/README.md): given a query vector, 3k candidates from BM25 and from the
// vector index, else the top k from BM25 (all the filter could keep); fused (fusion.hpp) when both
// exist; reported score = cosine similarity clamped to [0, 1] when a query vector is given (a chunk
// without a vector then reports its scaled BM25 score), else BM25 scaled into [0, 1]
// (Bm25Index::scaled); then the adaptive filter (adaptive_filter.hpp). The lexical document of a
// chunk is its text plus its page title and section name.
//
// Vectors are searched exactly or through an approximate index (IVF or HNSW), as
// options.vectors.kind_for(their count) says. Given the StoredVectors `rag-server index` stored
// (the server: LiveIndex, stored_graph.hpp), the snapshot takes them and reads no vector;
// otherwise it builds its vector index from the chunks' embeddings (an approximate one takes
// minutes at the sizes that need it: tests, `eval`; the server asks for exact search instead
// while it awaits the stored one).
//
// Thread-safety: immutable; every const method may run concurrently from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "retrieval/adaptive_filter.hpp"
#include "retrieval/fusion.hpp"
#include "retrieval/lexical_index.hpp"
#include "retrieval/query_terms.hpp"
#include "retrieval/vector_index.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval {

struct SnapshotOptions {
  VectorIndexOptions vectors;
  FusionOptions fusion;
  FilterOptions filter;                  // filter.min_score = SEARCH_MIN_SCORE
  std::size_t candidate_multiplier = 3;  // candidates fetched per list = k * this, when fused
};

// One search result.
struct Hit {
  double score = 0;  // in [0, 1]
  std::int64_t chunk_id = 0;
  std::string content;
  store::ChunkMetadata metadata;  // citation_url, page_title... ("" when absent)
};

class Snapshot {
 public:
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Chunks with an embedding of a dimension other than info.dimension (or of the first
  // embedding's dimension when info.dimension is 0) are indexed lexically only. With `stored`
  // (may be null, see above; taken: its rows are the chunks of its vectors, ascending), the
  // chunks' embeddings are not used.
  static Result<std::shared_ptr<const Snapshot>> build(std::vector<store::StoredChunk> chunks,
                                                       store::IndexInfo info,
                                                       std::string generation,
                                                       const SnapshotOptions& options = {},
                                                       StoredVectors* stored = nullptr);

  // A snapshot of a lexical index built or loaded elsewhere, and of the vectors of `chunks`
  // (the same chunks in the same order; their texts are not read) or of `stored`; `chunks` may
  // be empty when the index has no vectors or `stored` holds them. kInternal when `chunks` is
  // not empty and its size differs from lexical.size(), or when `stored`'s rows do not fit.
  static Result<std::shared_ptr<const Snapshot>> assemble(
      LexicalIndex lexical, std::vector<store::StoredChunk> chunks, store::IndexInfo info,
      std::string generation, const SnapshotOptions& options = {}, StoredVectors* stored = nullptr);

  // The dimension a snapshot of `chunks` indexes: info.dimension, else the first embedding's
  // (0: no vectors).
  static std::size_t vector_dimension(const std::vector<store::StoredChunk>& chunks,
                                      const store::IndexInfo& info);

  // The rows of a snapshot's vector index: the chunks whose embedding has `dimension` floats,
  // in chunk order, and their values (row-major). Every chunk's embedding is freed as it is
  // passed: vectors can be large.
  struct VectorRows {
    std::vector<float> matrix;
    std::vector<std::uint32_t> row_to_chunk;
  };
  static VectorRows take_vectors(std::vector<store::StoredChunk>& chunks, std::size_t dimension);

  // Lexical search when `query_vector` is null or empty, hybrid otherwise (kInvalidArgument if
  // its dimension differs from dimension()). A blank query (no terms and no vector) → {}.
  // kIndexUnavailable when what it read of the lexical index file failed its checksum
  // (intact()).
  Result<std::vector<Hit>> search(std::string_view query, const std::vector<float>* query_vector,
                                  std::size_t k) const;

  // The query's terms (query_terms.hpp) weighted by their idf in this index.
  std::vector<WeightedTerm> weigh(std::string_view query) const;

  // Every chunk whose citation url is `url`, in chunk order (score 0), for the source page
  // (GET /ui/source); empty when none. O(log n + chunks of that url). kIndexUnavailable as
  // search().
  Result<std::vector<Hit>> source(std::string_view url) const;

  // False once a lazily verified piece of the lexical index file under this snapshot failed
  // its checksum (LexicalIndex::intact): it answers no more, and LiveIndex reloads.
  bool intact() const { return lexical_.intact().has_value(); }

  bool has_vectors() const { return vectors_ != nullptr; }
  int dimension() const { return vectors_ ? vectors_->dimension() : 0; }
  std::size_t size() const { return lexical_.size(); }
  std::size_t vector_count() const { return vectors_ ? vectors_->size() : 0; }
  const store::IndexInfo& info() const { return info_; }
  const std::string& generation() const { return generation_; }
  // Whether vector search goes through an approximate index (else it is exact).
  bool approximate() const { return vectors_ && vectors_->approximate(); }
  // The vector index (null without vectors).
  const VectorIndex* vectors() const { return vectors_.get(); }

 private:
  explicit Snapshot(LexicalIndex lexical) : lexical_(std::move(lexical)) {}
  Result<std::vector<Candidate>> rank(const std::vector<std::string>& terms,
                                      const std::vector<float>* query_vector, std::size_t n) const;
  Hit make_hit(const Candidate& c) const;

  LexicalIndex lexical_;
  std::shared_ptr<const VectorIndex> vectors_;  // the stored base may be shared by snapshots
  std::vector<std::uint32_t> row_to_chunk_;
  std::vector<std::int32_t> vector_row_;  // by chunk: its row in vectors_, -1 when lexical only
  store::IndexInfo info_;
  std::string generation_;
  SnapshotOptions options_;
};

}  // namespace rag::retrieval
