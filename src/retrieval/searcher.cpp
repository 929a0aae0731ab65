// Searcher implementation.
#include "retrieval/searcher.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "upstream/embedder.hpp"

namespace rag::retrieval {

namespace asio = boost::asio;

bool is_blank(std::string_view text) {
  // Python's str.isspace() set: ASCII whitespace, U+0085, U+00A0, U+1680, U+2000-U+200A,
  // U+2028, U+2029, U+202F, U+205F, U+3000 (checked on their UTF-8 bytes).
  std::size_t i = 0;
  const auto at = [&](std::size_t j) { return static_cast<unsigned char>(text[j]); };
  while (i < text.size()) {
    const unsigned char b = at(i);
    if (b == ' ' || (b >= '\t' && b <= '\r') || (b >= 0x1C && b <= 0x1F)) {
      i += 1;
    } else if (b == 0xC2 && i + 1 < text.size() && (at(i + 1) == 0x85 || at(i + 1) == 0xA0)) {
      i += 2;
    } else if (i + 2 < text.size() &&
               ((b == 0xE1 && at(i + 1) == 0x9A && at(i + 2) == 0x80) ||
                (b == 0xE2 && at(i + 1) == 0x80 &&
                 (at(i + 2) <= 0x8A || at(i + 2) == 0xA8 || at(i + 2) == 0xA9 ||
                  at(i + 2) == 0xAF)) ||
                (b == 0xE2 && at(i + 1) == 0x81 && at(i + 2) == 0x9F) ||
                (b == 0xE3 && at(i + 1) == 0x80 && at(i + 2) == 0x80))) {
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

Searcher::Searcher(const LiveIndex& index, upstream::Embedder* embedder, EmbeddingCache* cache)
    : index_(index), embedder_(embedder), cache_(cache) {}

void Searcher::warn_once(std::atomic<bool>& flag, const std::string& message) const {
  if (!flag.exchange(true)) spdlog::warn("{}; searching lexically (logged once)", message);
}

// The query's embedding, or an empty vector when the search must be lexical.
asio::awaitable<std::vector<float>> Searcher::query_vector(const Snapshot& snapshot,
                                                           const std::string& query,
                                                           const CancelToken& cancel,
                                                           bool& cancelled) const {
  if (!embedder_ || !snapshot.has_vectors()) co_return std::vector<float>{};
  const std::string model = embedder_->model_name();
  const std::string& index_model = snapshot.info().embedding_model;
  if (!index_model.empty() && index_model != model) {
    warn_once(warned_model_, "The index's vectors come from model '" + index_model +
                                 "' but the embeddings upstream is '" + model + "'");
    co_return std::vector<float>{};
  }
  std::optional<std::vector<float>> vector;
  if (cache_) vector = cache_->get(model, query);
  if (!vector) {
    std::vector<std::string> texts(1, query);  // (g++ 12 rejects a braced list in co_await)
    auto embedded = co_await embedder_->embed(std::move(texts), cancel);
    if (!embedded || embedded->size() != 1) {
      if (!embedded && embedded.error().code == ErrorCode::kCancelled) {
        cancelled = true;
        co_return std::vector<float>{};
      }
      warn_once(warned_embed_, "Query embedding failed: " +
                                   (embedded ? std::string("wrong number of vectors")
                                             : embedded.error().message));
      co_return std::vector<float>{};
    }
    vector = std::move(embedded->front());
    if (cache_) cache_->put(model, query, *vector);
  }
  if (static_cast<int>(vector->size()) != snapshot.dimension()) {
    warn_once(warned_dimension_, "Query embedding has dimension " +
                                     std::to_string(vector->size()) + ", the index " +
                                     std::to_string(snapshot.dimension()));
    co_return std::vector<float>{};
  }
  co_return std::move(*vector);
}

asio::awaitable<Result<std::vector<Hit>>> Searcher::search(std::string query, int k,
                                                           CancelToken cancel,
                                                           SearchTiming* timing) const {
  using Clock = std::chrono::steady_clock;
  const auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  auto snapshot = index_.current();
  if (!snapshot) co_return fail(ErrorCode::kUnavailable, "the index is not loaded");
  if (k < 1 || is_blank(query)) co_return std::vector<Hit>{};
  bool cancelled = false;
  const auto embed_started = Clock::now();
  const auto vector = co_await query_vector(*snapshot, query, cancel, cancelled);
  if (timing) timing->embed_ms = ms_since(embed_started);
  if (cancelled) co_return fail(ErrorCode::kCancelled, "search cancelled");
  const auto retrieve_started = Clock::now();
  auto hits = snapshot->search(query, vector.empty() ? nullptr : &vector,
                               static_cast<std::size_t>(k));
  if (timing) timing->retrieve_ms = ms_since(retrieve_started);
  co_return hits;
}

std::vector<WeightedTerm> Searcher::weigh(std::string_view query) const {
  auto snapshot = index_.current();
  return snapshot ? snapshot->weigh(query) : unweighted_terms(query);
}

Result<std::vector<Hit>> Searcher::search_lexical(std::string_view query, int k) const {
  auto snapshot = index_.current();
  if (!snapshot) return fail(ErrorCode::kUnavailable, "the index is not loaded");
  if (k < 1 || is_blank(query)) return std::vector<Hit>{};
  return snapshot->search(query, nullptr, static_cast<std::size_t>(k));
}

}  // namespace rag::retrieval
