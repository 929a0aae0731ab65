// Test helper: an in-memory IndexReader whose content and generation tests change at will.
#pragma once

#include <mutex>

#include "retrieval/live_index.hpp"
#include "store/index_reader.hpp"

namespace rag::retrieval::testing {

struct FakeIndexState {
  std::mutex mutex;
  std::vector<store::StoredChunk> chunks;
  std::string generation = "g1";
  bool fail_open = false;
  int opens = 0;
  int loads = 0;

  void set(std::vector<store::StoredChunk> c, std::string g) {
    std::lock_guard lock(mutex);
    chunks = std::move(c);
    generation = std::move(g);
  }
};

class FakeIndexReader : public store::IndexReader {
 public:
  explicit FakeIndexReader(std::shared_ptr<FakeIndexState> state) : state_(std::move(state)) {}
  Result<store::IndexInfo> info() const override {
    std::lock_guard lock(state_->mutex);
    store::IndexInfo info;
    info.chunks = state_->chunks.size();
    for (const auto& c : state_->chunks) {
      if (c.embedding.empty()) continue;
      if (info.dimension == 0) info.dimension = static_cast<int>(c.embedding.size());
      if (c.embedding.size() == static_cast<std::size_t>(info.dimension)) ++info.embedded_chunks;
    }
    return info;
  }
  Result<std::vector<store::StoredChunk>> load_chunks(Columns) const override {
    std::lock_guard lock(state_->mutex);
    ++state_->loads;
    return state_->chunks;
  }
  Result<std::string> generation() const override {
    std::lock_guard lock(state_->mutex);
    return state_->generation;
  }

 private:
  std::shared_ptr<FakeIndexState> state_;
};

inline IndexOpener fake_opener(std::shared_ptr<FakeIndexState> state) {
  return [state]() -> Result<std::unique_ptr<store::IndexReader>> {
    std::lock_guard lock(state->mutex);
    ++state->opens;
    if (state->fail_open) return fail(ErrorCode::kNotFound, "no index at vector_db");
    return std::make_unique<FakeIndexReader>(state);
  };
}

}  // namespace rag::retrieval::testing
