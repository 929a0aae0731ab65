// The stored approximate vector index: the server's loads and the indexer's update (see
// stored_graph.hpp).
#include "retrieval/stored_graph.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <system_error>

#include "retrieval/snapshot.hpp"
#include "store/schema.hpp"

namespace rag::retrieval {

namespace {

void remove_stale(const std::filesystem::path& file) {
  std::error_code ignored;
  if (std::filesystem::remove(file, ignored)) spdlog::info("Removed {}: not needed", file.string());
}

// The file's modification time, or min() when there is none.
std::filesystem::file_time_type written_at(const std::filesystem::path& file) {
  std::error_code ec;
  const auto time = std::filesystem::last_write_time(file, ec);
  return ec ? std::filesystem::file_time_type::min() : time;
}

}  // namespace

std::filesystem::path graph_path(const std::filesystem::path& vector_db_path) {
  return vector_db_path / std::string(store::kGraphFileName);
}

std::string vector_stamp(VectorIndexKind kind, std::size_t dimension,
                         std::string_view content_generation) {
  return std::string(kind_name(kind)) + " index of vectors of dimension " +
         std::to_string(dimension) + ", content " + std::string(content_generation);
}

std::optional<StoredVectors> StoredGraph::load(const std::string& stamp, int dimension,
                                               const VectorIndexOptions& options) {
  // The time before the attempt: a graph stored during it gets a newer one.
  const auto tried_time = written_at(file_);
  auto loaded = VectorIndex::load(file_, stamp, dimension, options);
  std::lock_guard lock(mutex_);
  tried_stamp_ = stamp;
  tried_time_ = tried_time;
  status_ = loaded ? Status{} : Status{true, loaded.error().message};
  if (!loaded) return std::nullopt;
  return std::move(*loaded);
}

void StoredGraph::not_needed() {
  std::lock_guard lock(mutex_);
  status_ = Status{};
}

bool StoredGraph::arrived() const {
  std::string stamp;
  std::filesystem::file_time_type tried;
  {
    std::lock_guard lock(mutex_);
    if (!status_.awaiting) return false;
    stamp = tried_stamp_;
    tried = tried_time_;
  }
  const auto written = written_at(file_);
  return written != std::filesystem::file_time_type::min() && written != tried &&
         VectorIndex::saved_stamp(file_) == stamp;
}

StoredGraph::Status StoredGraph::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

Result<GraphUpdate> update_stored_graph(const std::filesystem::path& vector_db_path,
                                        const VectorIndexOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto file = graph_path(vector_db_path);
  auto reader = store::IndexReader::open(vector_db_path);
  if (!reader) return std::unexpected(reader.error());
  auto info = (*reader)->info();
  if (!info) return std::unexpected(info.error());

  GraphUpdate update;
  update.vectors = info->embedded_chunks;
  update.kind = options.kind_for(info->embedded_chunks);  // as the server decides (LiveIndex)
  remove_stale(vector_db_path / "vectors.hnsw");          // left by a version that stored HNSW only
  if (info->embedded_chunks == 0 || update.kind == VectorIndexKind::kExact) {
    remove_stale(file);
    return update;
  }
  auto content = (*reader)->content_generation();
  if (!content) return std::unexpected(content.error());
  const auto dimension = static_cast<std::size_t>(info->dimension);
  const auto stamp = vector_stamp(update.kind, dimension, *content);
  if (VectorIndex::saved_stamp(file) == stamp) {
    update.outcome = GraphUpdate::Outcome::kUpToDate;  // the vectors did not change
    return update;
  }
  auto chunks = (*reader)->load_chunks(store::IndexReader::Columns::kVectorsOnly);
  if (!chunks) return std::unexpected(chunks.error());
  // The rows the server's snapshot gives these chunks: embeddings of another dimension do not
  // count.
  auto rows = Snapshot::take_vectors(*chunks, dimension);
  update.vectors = rows.row_to_chunk.size();
  if (update.vectors == 0) {
    remove_stale(file);
    return update;
  }
  spdlog::info("Building the {} vector index over {} vectors...", kind_name(update.kind),
               update.vectors);
  auto index = VectorIndex::build(std::move(rows.matrix), update.vectors,
                                  static_cast<int>(dimension), options);
  if (!index) return std::unexpected(index.error());
  RAG_TRY((*index)->save(file, stamp, rows.row_to_chunk));
  update.outcome = GraphUpdate::Outcome::kWritten;
  update.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("Stored the {} vector index in {} ({:.1f}s)", kind_name(update.kind), file.string(),
               update.seconds);
  return update;
}

}  // namespace rag::retrieval
