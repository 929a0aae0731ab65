// The retrieval entry point for /search, /chat and the CLI: query text → filtered hits.
// Hybrid when the current snapshot has vectors and an embedder is configured (the query
// embedding comes from the LRU cache or the embeddings upstream); lexical otherwise. If the
// embedder fails (upstream down, rate limited, wrong model or dimension), the search falls
// back to lexical and logs it once per cause: search stays available without the upstream.
//
// Thread-safety: shared; search() and search_lexical() may run concurrently on any thread.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/cancel.hpp"
#include "common/result.hpp"
#include "retrieval/embedding_cache.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/snapshot.hpp"

namespace rag::upstream {
class Embedder;
}

namespace rag::retrieval {

// Where a search's time went, in milliseconds: embedding the query (0 when the search is
// lexical or the vector came from the cache) and searching the snapshot (lexical, dense,
// fusion and the adaptive filter).
struct SearchTiming {
  double embed_ms = 0;
  double retrieve_ms = 0;
};

class Searcher {
 public:
  // `embedder` may be null (no embeddings upstream); `cache` may be null (no caching).
  // REQUIRES: `index`, `embedder` and `cache` outlive the Searcher.
  Searcher(const LiveIndex& index, upstream::Embedder* embedder, EmbeddingCache* cache);

  // A blank query or k < 1 → no hits. kUnavailable before the index is loaded; kCancelled
  // when `cancel` fires while the query is being embedded. `timing`, when given, receives
  // where the time went.
  boost::asio::awaitable<Result<std::vector<Hit>>> search(std::string query, int k,
                                                          CancelToken cancel,
                                                          SearchTiming* timing = nullptr) const;

  // The query's terms weighted by the current index (Snapshot::weigh); of weight 1 before the
  // index is loaded.
  std::vector<WeightedTerm> weigh(std::string_view query) const;

  // Lexical only, synchronous (CLI, benchmarks, fallback).
  Result<std::vector<Hit>> search_lexical(std::string_view query, int k) const;

 private:
  boost::asio::awaitable<std::vector<float>> query_vector(const Snapshot& snapshot,
                                                          const std::string& query,
                                                          const CancelToken& cancel,
                                                          bool& cancelled) const;
  void warn_once(std::atomic<bool>& flag, const std::string& message) const;

  const LiveIndex& index_;
  upstream::Embedder* embedder_;
  EmbeddingCache* cache_;
  mutable std::atomic<bool> warned_model_{false};
  mutable std::atomic<bool> warned_embed_{false};
  mutable std::atomic<bool> warned_dimension_{false};
};

// True when `text` holds nothing but whitespace (ASCII or Unicode spaces).
bool is_blank(std::string_view text);

}  // namespace rag::retrieval
