// LiveIndex implementation.
#include "retrieval/live_index.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "observability/telemetry.hpp"
#include "retrieval/lexical_file.hpp"
#include "store/run_lock.hpp"

namespace rag::retrieval {

LiveIndex::LiveIndex(IndexOpener opener, SnapshotOptions options,
                     std::unique_ptr<StoredGraph> stored_graph, std::filesystem::path lexical_file)
    : opener_(std::move(opener)),
      options_(std::move(options)),
      stored_graph_(std::move(stored_graph)),
      lexical_file_(std::move(lexical_file)) {}

LiveIndex::~LiveIndex() = default;

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
  ReloadStats stats;
  std::optional<std::string> content;  // the index's content generation, read when needed
  const auto content_generation = [&]() -> Result<std::string> {
    if (!content) {
      auto read = reader.content_generation();
      if (!read) return std::unexpected(read.error());
      content = std::move(*read);
    }
    return *content;
  };
  std::optional<LexicalIndex> lexical;
  if (!lexical_file_.empty()) {
    auto tied_to = content_generation();
    if (!tied_to) return std::unexpected(tied_to.error());
    // Lazily, so that a start on a cold disk answers before gigabytes are read; whole when a
    // lazily read piece of the snapshot being replaced failed its checksum.
    const auto serving = current();
    const auto check = serving && !serving->intact() ? LexicalCheck::kWhole : LexicalCheck::kLazily;
    auto loaded = load_lexical_index(lexical_file_, *tied_to, &lexical_cache_, check);
    if (loaded) {
      lexical = std::move(*loaded);
    } else {
      stats.lexical_note = loaded.error().message;
    }
  }
  auto options = options_;
  auto stored = load_stored_vectors(*info, content_generation);
  if (!stored) return std::unexpected(stored.error());
  // Exact search meanwhile, rather than keep the server unready for the minutes a build takes.
  if (stored_graph_ && stored_graph_->status().awaiting) {
    options.vectors.kind = VectorIndexKind::kExact;
  }
  // The chunks' texts are needed only to build; their vectors unless the stored index has them.
  std::vector<store::StoredChunk> chunks;
  if (!lexical || (info->embedded_chunks > 0 && !*stored)) {
    auto loaded = reader.load_chunks(lexical ? store::IndexReader::Columns::kVectorsOnly
                                             : store::IndexReader::Columns::kEverything);
    if (!loaded) return std::unexpected(loaded.error());
    chunks = std::move(*loaded);
  }
  StoredVectors* vectors = *stored ? &**stored : nullptr;
  auto snapshot =
      lexical ? Snapshot::assemble(std::move(*lexical), std::move(chunks), std::move(*info),
                                   generation, options, vectors)
              : Snapshot::build(std::move(chunks), std::move(*info), generation, options, vectors);
  if (!snapshot) return std::unexpected(snapshot.error());
  stats.reloaded = true;
  stats.lexical_stored = lexical_file_.empty() ? false : stats.lexical_note.empty();
  stats.chunks = (*snapshot)->size();
  stats.vectors = (*snapshot)->vector_count();
  stats.generation = std::move(generation);
  if (const auto* vectors = (*snapshot)->vectors()) stats.kind = vectors->kind();
  if (stored_graph_) {
    auto graph = stored_graph_->status();
    stats.awaiting_graph = graph.awaiting;
    stats.graph_note = std::move(graph.note);
  }
  replace(std::move(*snapshot));
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

Result<std::optional<StoredVectors>> LiveIndex::load_stored_vectors(
    const store::IndexInfo& info, const std::function<Result<std::string>()>& content_generation) {
  if (!stored_graph_) return std::nullopt;
  const auto kind = options_.vectors.kind_for(info.embedded_chunks);
  if (info.embedded_chunks == 0 || kind == VectorIndexKind::kExact) {
    stored_graph_->not_needed();
    return std::nullopt;
  }
  auto content = content_generation();
  if (!content) return std::unexpected(content.error());
  const auto dimension = static_cast<std::size_t>(info.dimension);
  return stored_graph_->load(vector_stamp(kind, dimension, *content), static_cast<int>(dimension),
                             options_.vectors);
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
  // A graph stored since for the vectors of the current snapshot, which awaits one.
  const bool graph_arrived = stored_graph_ && stored_graph_->arrived();
  auto snap = current();
  if (snap && snap->generation() == *generation && !graph_arrived && snap->intact()) {
    ReloadStats stats;
    stats.generation = std::move(*generation);
    return stats;
  }
  if (snap && !lexical_file_.empty() && store::index_run_in_progress(lexical_file_.parent_path())) {
    ReloadStats stats;
    stats.deferred = true;
    stats.generation = std::move(*generation);
    return stats;
  }
  return load_locked(**reader, std::move(*generation));
}

void LiveIndex::publish(observability::Telemetry& telemetry) const {
  telemetry.readiness.add({"index",
                           [this]() -> std::optional<std::string> {
                             const auto s = current();
                             if (!s) return "index not loaded (run rag-server index)";
                             if (!s->intact()) return "lexical index file damaged; reloading";
                             return std::nullopt;
                           },
                           [this] {
                             auto s = current();
                             const bool awaiting =
                                 stored_graph_ && stored_graph_->status().awaiting;
                             const auto search =
                                 s->approximate()
                                     ? " (" + std::string(kind_name(s->vectors()->kind())) +
                                           " vector index)"
                                 : awaiting ? std::string(
                                                  " (exact search until rag-server index "
                                                  "stores the vector index)")
                                            : std::string();
                             return std::to_string(s->size()) + " chunks, " +
                                    std::to_string(s->vector_count()) + " with vectors" + search;
                           }});
  telemetry.metrics.callback("rag_index_chunks", "Chunks in the loaded index.", "gauge", {},
                             [this] {
                               auto s = current();
                               return s ? static_cast<double>(s->size()) : 0.0;
                             });
  telemetry.metrics.callback("rag_index_vectors", "Chunks with an embedding in the loaded index.",
                             "gauge", {}, [this] {
                               auto s = current();
                               return s ? static_cast<double>(s->vector_count()) : 0.0;
                             });
}

}  // namespace rag::retrieval
