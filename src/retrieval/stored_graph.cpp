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

std::string vector_stamp(VectorIndexKind kind, std::size_t count, std::size_t dimension,
                         std::string_view content_generation) {
  return std::string(kind_name(kind)) + " index of " + std::to_string(count) +
         " vectors of dimension " + std::to_string(dimension) + ", content " +
         std::string(content_generation);
}

std::unique_ptr<VectorIndex> StoredGraph::load(const std::string& stamp, std::size_t count,
                                               int dimension, const VectorIndexOptions& options) {
  // The time before the attempt: a graph stored during it gets a newer one.
  const auto tried_time = written_at(file_);
  auto loaded = VectorIndex::load(file_, stamp, count, dimension, options);
  std::lock_guard lock(mutex_);
  tried_stamp_ = stamp;
  tried_time_ = tried_time;
  status_ = loaded ? Status{} : Status{true, loaded.error().message};
  return loaded ? std::move(*loaded) : nullptr;
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
  remove_stale(vector_db_path / "vectors.hnsw");  // left by a version that stored HNSW only
  if (info->embedded_chunks == 0 ||
      options.kind_for(info->embedded_chunks) == VectorIndexKind::kExact) {
    remove_stale(file);
    return update;
  }
  // The rows and kind the server gives these vectors (LiveIndex): embeddings of another
  // dimension do not count.
  auto rows = (*reader)->vector_rows();
  if (!rows) return std::unexpected(rows.error());
  auto content = (*reader)->content_generation();
  if (!content) return std::unexpected(content.error());
  const auto dimension = static_cast<std::size_t>(info->dimension);
  update.vectors = rows->size();
  update.kind = options.kind_for(update.vectors);
  if (update.vectors == 0 || update.kind == VectorIndexKind::kExact) {
    remove_stale(file);
    return update;
  }
  const auto stamp = vector_stamp(update.kind, update.vectors, dimension, *content);
  if (VectorIndex::saved_stamp(file) == stamp) {
    update.outcome = GraphUpdate::Outcome::kUpToDate;  // the vectors did not change
    return update;
  }
  spdlog::info("Building the {} vector index over {} vectors (minutes at this size)...",
               kind_name(update.kind), update.vectors);
  auto chunks = (*reader)->load_chunks(store::IndexReader::Columns::kVectorsOnly);
  if (!chunks) return std::unexpected(chunks.error());
  auto vectors = Snapshot::take_vectors(*chunks, dimension);
  if (vectors.row_to_chunk != *rows) {
    return fail(ErrorCode::kInternal, "the index's vector rows differ between two reads of it");
  }
  auto index = VectorIndex::build(std::move(vectors.matrix), update.vectors,
                                  static_cast<int>(dimension), options);
  if (!index) return std::unexpected(index.error());
  RAG_TRY((*index)->save(file, stamp));
  update.outcome = GraphUpdate::Outcome::kWritten;
  update.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("Stored the {} vector index in {} ({:.1f}s)", kind_name(update.kind), file.string(),
               update.seconds);
  return update;
}

}  // namespace rag::retrieval
