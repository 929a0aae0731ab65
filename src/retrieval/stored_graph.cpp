// The stored approximate vector index: the server's loads and the indexer's update (see
// stored_graph.hpp).
#include "retrieval/stored_graph.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "common/elapsed.hpp"
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

// The chunks' row ids in chunk order (position → row id); empty when the reader has no layout.
std::vector<std::int64_t> row_ids_by_position(const store::IndexReader& reader) {
  auto layout = reader.layout();
  std::vector<std::int64_t> out;
  if (!layout) return out;
  for (const auto& document : *layout)
    out.insert(out.end(), document.rows.begin(), document.rows.end());
  return out;
}

// The stored IVF index brought in line with the index by keeping its lists and the codes of
// the vectors whose chunks are unchanged, and adding the new ones (update_stored_graph);
// nullopt, the reason logged, when it must be built afresh instead.
Result<std::optional<GraphUpdate>> update_ivf(const store::IndexReader& reader,
                                              const std::filesystem::path& file,
                                              const std::string& stamp,
                                              const store::IndexInfo& info,
                                              const VectorIndexOptions& options,
                                              std::chrono::steady_clock::time_point start) {
  const auto afresh = [](const std::string& why) {
    spdlog::info("Building the vector index afresh: {}", why);
    return std::optional<GraphUpdate>();
  };
  if (!std::filesystem::exists(file)) return std::optional<GraphUpdate>();
  auto old = VectorIndex::load(file, "", info.dimension, options);
  if (!old) return afresh(old.error().message);
  if (old->index->kind() != VectorIndexKind::kIvf) return afresh("the stored one is not IVF");
  if (old->model != info.embedding_model) return afresh("the stored one is of another model");
  if (std::ranges::find(old->row_ids, -1) != old->row_ids.end()) {
    return afresh("the stored one does not name its chunks' rows (an older version wrote it)");
  }
  const auto rows = row_ids_by_position(reader);
  if (rows.size() != info.chunks) return afresh("the index has no layout of its chunks");
  std::unordered_map<std::int64_t, std::uint32_t> position;
  position.reserve(rows.size());
  for (std::uint32_t p = 0; p < rows.size(); ++p) position.emplace(rows[p], p);
  // (position, old id) of each kept vector; then the rows that are new since.
  std::vector<std::pair<std::uint32_t, std::int64_t>> order;
  order.reserve(old->row_ids.size());
  for (std::size_t id = 0; id < old->row_ids.size(); ++id) {
    if (auto it = position.find(old->row_ids[id]); it != position.end()) {
      order.emplace_back(it->second, static_cast<std::int64_t>(id));
    }
  }
  const std::size_t kept = order.size();
  const std::unordered_set<std::int64_t> stored(old->row_ids.begin(), old->row_ids.end());
  std::vector<std::int64_t> fresh;
  for (const auto row : rows) {
    if (!stored.contains(row)) fresh.push_back(row);
  }
  const std::size_t removed = old->row_ids.size() - kept;
  if (fresh.size() + removed > old->row_ids.size() / 10) {
    return afresh(std::to_string(fresh.size()) + " chunks added and " + std::to_string(removed) +
                  " vectors removed since it was stored, over a tenth of its " +
                  std::to_string(old->row_ids.size()));
  }
  std::vector<float> added;
  std::vector<std::int64_t> added_rows;
  RAG_TRY(reader.visit_embeddings(fresh, [&](std::int64_t row, std::vector<float>&& v) {
    added.insert(added.end(), v.begin(), v.end());
    added_rows.push_back(row);
    return Result<void>{};
  }));
  // Every vector of the index is either kept or read: else some unchanged chunk's vector
  // changed (embedded since, say), and only a full build sees it.
  if (kept + added_rows.size() != info.embedded_chunks) {
    return afresh(std::to_string(kept + added_rows.size()) +
                  " vectors kept or added, the index has " + std::to_string(info.embedded_chunks));
  }
  for (std::size_t k = 0; k < added_rows.size(); ++k) {
    order.emplace_back(position.at(added_rows[k]), -1 - static_cast<std::int64_t>(k));
  }
  std::ranges::sort(order);  // ids in chunk order, as a full build gives them
  std::vector<std::int64_t> renumber(old->row_ids.size(), -1);
  std::vector<std::int64_t> added_ids(added_rows.size());
  std::vector<std::uint32_t> new_rows(order.size());
  std::vector<std::int64_t> new_row_ids(order.size());
  for (std::size_t id = 0; id < order.size(); ++id) {
    const auto [at, source] = order[id];
    if (source >= 0) {
      renumber[static_cast<std::size_t>(source)] = static_cast<std::int64_t>(id);
    } else {
      added_ids[static_cast<std::size_t>(-1 - source)] = static_cast<std::int64_t>(id);
    }
    new_rows[id] = at;
    new_row_ids[id] = rows[at];
  }
  auto index = VectorIndex::update(*old->index, renumber, std::move(added), added_ids, options);
  if (!index) return std::unexpected(index.error());
  RAG_TRY((*index)->save(file, stamp, {new_rows, new_row_ids, info.embedding_model}));
  GraphUpdate update;
  update.outcome = GraphUpdate::Outcome::kWritten;
  update.kind = VectorIndexKind::kIvf;
  update.vectors = order.size();
  update.incremental = true;
  update.added = added_rows.size();
  update.removed = removed;
  update.seconds = seconds_since(start);
  spdlog::info(
      "Stored the IVF vector index in {} ({} vectors: {} added and {} removed, the "
      "rest kept as stored; {:.1f}s)",
      file.string(), update.vectors, update.added, update.removed, update.seconds);
  return update;
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
  if (update.kind == VectorIndexKind::kIvf) {
    auto updated = update_ivf(**reader, file, stamp, *info, options, start);
    if (!updated) return std::unexpected(updated.error());
    if (*updated) return **updated;
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
  // Each vector's chunk row, for the next run's update.
  const auto by_position = row_ids_by_position(**reader);
  std::vector<std::int64_t> row_ids;
  if (by_position.size() == chunks->size()) {
    for (const auto at : rows.row_to_chunk) row_ids.push_back(by_position[at]);
  }
  RAG_TRY((*index)->save(file, stamp, {rows.row_to_chunk, row_ids, info->embedding_model}));
  update.outcome = GraphUpdate::Outcome::kWritten;
  update.seconds = seconds_since(start);
  spdlog::info("Stored the {} vector index in {} ({:.1f}s)", kind_name(update.kind), file.string(),
               update.seconds);
  return update;
}

}  // namespace rag::retrieval
