// Implementation of the stored HNSW graph's update (see stored_graph.hpp).
#include "retrieval/stored_graph.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <system_error>

#include "retrieval/snapshot.hpp"
#include "store/index_reader.hpp"
#include "store/schema.hpp"

namespace rag::retrieval {

namespace {

void remove_stale(const std::filesystem::path& file) {
  std::error_code ignored;
  if (std::filesystem::remove(file, ignored)) spdlog::info("Removed {}: not needed", file.string());
}

}  // namespace

std::filesystem::path graph_path(const std::filesystem::path& vector_db_path) {
  return vector_db_path / std::string(store::kGraphFileName);
}

Result<GraphUpdate> update_stored_graph(const std::filesystem::path& vector_db_path,
                                        const VectorIndexOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto file = graph_path(vector_db_path);
  auto reader = store::IndexReader::open(vector_db_path);
  if (!reader) return std::unexpected(reader.error());
  auto info = (*reader)->info();
  if (!info) return std::unexpected(info.error());
  auto generation = (*reader)->generation();
  if (!generation) return std::unexpected(generation.error());

  GraphUpdate update;
  update.vectors = info->embedded_chunks;
  if (info->embedded_chunks < options.hnsw_threshold) {
    remove_stale(file);
    return update;
  }
  auto chunks = (*reader)->load_chunks();
  if (!chunks) return std::unexpected(chunks.error());
  if (VectorIndex::saved_stamp(file) == Snapshot::vector_stamp(*chunks, *info)) {
    update.outcome = GraphUpdate::Outcome::kUpToDate;  // the vectors did not change
    return update;
  }
  spdlog::info("Building the HNSW graph over {} vectors (minutes at this size)...",
               info->embedded_chunks);
  SnapshotOptions snapshot_options;  // no graph_file: the snapshot builds the graph
  snapshot_options.vectors = options;
  // The very code the server loads the index with, so the graph's rows are the server's rows.
  auto snapshot =
      Snapshot::build(std::move(*chunks), std::move(*info), *generation, snapshot_options);
  if (!snapshot) return std::unexpected(snapshot.error());
  update.vectors = (*snapshot)->vector_count();
  if (!(*snapshot)->approximate()) {  // vectors of mixed dimensions: fewer usable than counted
    remove_stale(file);
    return update;
  }
  RAG_TRY((*snapshot)->save_vectors(file));
  update.outcome = GraphUpdate::Outcome::kWritten;
  update.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("Stored the HNSW graph in {} ({:.1f}s)", file.string(), update.seconds);
  return update;
}

}  // namespace rag::retrieval
