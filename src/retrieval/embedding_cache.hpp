// A bounded LRU cache of query embeddings, keyed by (model, query text): repeated queries
// (the widget's suggestions, retries, chat rewrites) skip the embeddings upstream.
//
// Invariants: entries_.size() == index_.size() <= capacity_; entries_ is most recent first.
// Thread-safety: every method may be called concurrently from any thread (one mutex; the
// critical sections are a hash lookup and a list splice).
#pragma once

#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rag::retrieval {

class EmbeddingCache {
 public:
  explicit EmbeddingCache(std::size_t capacity = 1024) : capacity_(capacity) {}

  std::optional<std::vector<float>> get(const std::string& model, const std::string& query);
  void put(const std::string& model, const std::string& query, std::vector<float> vector);

  std::size_t size() const;
  std::size_t hits() const;
  std::size_t misses() const;

 private:
  using Entry = std::pair<std::string, std::vector<float>>;
  static std::string key(const std::string& model, const std::string& query);

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> entries_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

}  // namespace rag::retrieval
