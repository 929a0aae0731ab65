// EmbeddingCache implementation: std::list for recency, unordered_map for lookup.
#include "retrieval/embedding_cache.hpp"

namespace rag::retrieval {

std::string EmbeddingCache::key(const std::string& model, const std::string& query) {
  std::string k;
  k.reserve(model.size() + 1 + query.size());
  k.append(model).push_back('\0');  // model names contain no NUL; queries may, harmlessly
  k.append(query);
  return k;
}

std::optional<std::vector<float>> EmbeddingCache::get(const std::string& model,
                                                      const std::string& query) {
  const std::string k = key(model, query);
  std::lock_guard lock(mutex_);
  auto it = index_.find(k);
  if (it == index_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->second;
}

void EmbeddingCache::put(const std::string& model, const std::string& query,
                         std::vector<float> vector) {
  if (capacity_ == 0) return;
  std::string k = key(model, query);
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(k); it != index_.end()) {
    it->second->second = std::move(vector);
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  if (entries_.size() >= capacity_) {
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
  entries_.emplace_front(k, std::move(vector));
  index_.emplace(std::move(k), entries_.begin());
}

std::size_t EmbeddingCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}
std::size_t EmbeddingCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}
std::size_t EmbeddingCache::misses() const {
  std::lock_guard lock(mutex_);
  return misses_;
}

}  // namespace rag::retrieval
