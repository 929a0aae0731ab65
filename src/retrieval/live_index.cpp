// LiveIndex implementation.
#include "retrieval/live_index.hpp"

#include <chrono>
#include <filesystem>

namespace rag::retrieval {

LiveIndex::LiveIndex(IndexOpener opener, SnapshotOptions options)
    : opener_(std::move(opener)), options_(std::move(options)) {}

std::shared_ptr<const Snapshot> LiveIndex::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

void LiveIndex::replace(std::shared_ptr<const Snapshot> snapshot) {
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard lock(current_mutex_);
    old = std::exchange(current_, std::move(snapshot));
  }
  // `old` is released here, outside the lock (destroying a large snapshot takes a while).
}

Result<ReloadStats> LiveIndex::load_locked(store::IndexReader& reader, std::string generation) {
  const auto start = std::chrono::steady_clock::now();
  auto info = reader.info();
  if (!info) return std::unexpected(info.error());
  auto chunks = reader.load_chunks();
  if (!chunks) return std::unexpected(chunks.error());
  auto snapshot = Snapshot::build(std::move(*chunks), std::move(*info), generation, options_);
  if (!snapshot) return std::unexpected(snapshot.error());
  ReloadStats stats;
  stats.reloaded = true;
  stats.chunks = (*snapshot)->size();
  stats.vectors = (*snapshot)->vector_count();
  stats.generation = std::move(generation);
  stats.approximate = (*snapshot)->approximate();
  stats.awaiting_graph = (*snapshot)->awaiting_graph();
  stats.graph_note = (*snapshot)->graph_note();
  replace(std::move(*snapshot));
  stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

Result<ReloadStats> LiveIndex::reload() {
  std::lock_guard lock(reload_mutex_);
  auto reader = opener_();
  if (!reader) return std::unexpected(reader.error());
  auto generation = (*reader)->generation();
  if (!generation) return std::unexpected(generation.error());
  return load_locked(**reader, std::move(*generation));
}

Result<ReloadStats> LiveIndex::reload_if_changed() {
  std::lock_guard lock(reload_mutex_);
  auto reader = opener_();
  if (!reader) return std::unexpected(reader.error());
  auto generation = (*reader)->generation();
  if (!generation) return std::unexpected(generation.error());
  // A graph file newer than the one the current snapshot tried, stored for its vectors. A
  // file that failed to load is not tried again until it is replaced.
  const auto graph_arrived = [&](const Snapshot& snap) {
    if (!snap.awaiting_graph()) return false;
    std::error_code ec;
    const auto written = std::filesystem::last_write_time(options_.graph_file, ec);
    return !ec && written != snap.tried_graph_time() &&
           VectorIndex::saved_stamp(options_.graph_file) == snap.vector_stamp();
  };
  if (auto snap = current(); snap && snap->generation() == *generation && !graph_arrived(*snap)) {
    ReloadStats stats;
    stats.generation = std::move(*generation);
    return stats;
  }
  return load_locked(**reader, std::move(*generation));
}

}  // namespace rag::retrieval
