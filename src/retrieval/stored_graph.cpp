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
#include "retrieval/section_file.hpp"
#include "retrieval/snapshot.hpp"
#include "retrieval/vector_changes.hpp"
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

// Whether the changes file beside the base `file` (of stamp `base_stamp`) was written for
// `stamp` and this base, and reads back whole (a damaged one is logged, and written again).
bool changes_stored_for(const std::string& stamp, const std::filesystem::path& file,
                        const std::string& base_stamp) {
  const auto changes_file = vector_changes_path(file.parent_path());
  if (saved_changes_stamp(changes_file) != stamp) return false;
  auto changes = load_vector_changes(changes_file);
  std::error_code ec;
  if (!changes) {
    spdlog::warn("Rewriting the vector index changes: {}", changes.error().message);
    return false;
  }
  if (changes->base_stamp != base_stamp ||
      changes->base_size != std::filesystem::file_size(file, ec)) {
    spdlog::warn("Rewriting the vector index changes: {} was written for another base",
                 changes_file.string());
    return false;
  }
  return true;
}

// Writes the changes since the stored IVF base (`base`, read without its lists) to the
// changes file: the added vectors encoded with the base's quantizers, every base vector's new
// id. Seconds at a million vectors where rewriting the base takes half a minute.
Result<void> store_changes(const std::filesystem::path& file, const StoredVectors& base,
                           const std::string& stamp, const store::IndexInfo& info,
                           const VectorIndexOptions& options, std::vector<float> added,
                           StoredVectorChanges changes) {
  const auto count = changes.changes.added_ids.size();
  auto encoded = base.index->encode(std::move(added), count, options.build_threads);
  if (!encoded) return std::unexpected(encoded.error());
  std::error_code ec;
  changes.base_size = std::filesystem::file_size(file, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot read the size of " + file.string());
  changes.stamp = stamp;
  changes.base_stamp = base.stamp;
  changes.model = info.embedding_model;
  changes.dimension = info.dimension;
  changes.changes.added_lists = std::move(encoded->lists);
  changes.changes.added_codes = std::move(encoded->codes);
  return save_vector_changes(changes, vector_changes_path(file.parent_path()));
}

// The stored IVF index brought in line with the index (update_stored_graph): the vectors of
// unchanged chunks (same row in index.sqlite) are kept as stored, and only the new ones are
// read, assigned and encoded with the stored quantizers. When the vectors added and removed
// since the base are at most a tenth of it, only the changes are written (vector_changes.hpp);
// otherwise a new base, from the stored lists and codes. nullopt, the reason logged, when it
// must be built afresh instead (the quantizers trained again).
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
  auto base = VectorIndex::load(file, "", info.dimension, options, VectorIndex::Part::kTrained);
  if (!base) return afresh(base.error().message);
  if (base->model != info.embedding_model) return afresh("the stored one is of another model");
  if (std::ranges::find(base->row_ids, -1) != base->row_ids.end()) {
    return afresh("the stored one does not name its chunks' rows (an older version wrote it)");
  }
  const auto rows = row_ids_by_position(reader);
  if (rows.size() != info.chunks) return afresh("the index has no layout of its chunks");
  std::unordered_map<std::int64_t, std::uint32_t> position;
  position.reserve(rows.size());
  for (std::uint32_t p = 0; p < rows.size(); ++p) position.emplace(rows[p], p);
  // (position, base id) of each kept vector; then the rows that are new since.
  std::vector<std::pair<std::uint32_t, std::int64_t>> order;
  order.reserve(base->row_ids.size());
  for (std::size_t id = 0; id < base->row_ids.size(); ++id) {
    if (auto it = position.find(base->row_ids[id]); it != position.end()) {
      order.emplace_back(it->second, static_cast<std::int64_t>(id));
    }
  }
  const std::size_t kept = order.size();
  const std::unordered_set<std::int64_t> stored(base->row_ids.begin(), base->row_ids.end());
  std::vector<std::int64_t> fresh;
  for (const auto row : rows) {
    if (!stored.contains(row)) fresh.push_back(row);
  }
  const std::size_t removed = base->row_ids.size() - kept;
  if (kept < fresh.size()) {
    return afresh(std::to_string(fresh.size()) + " chunks added since it was trained, " +
                  std::to_string(kept) + " kept");
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
  StoredVectorChanges changes;
  auto& renumber = changes.changes.base_ids;
  auto& added_ids = changes.changes.added_ids;
  renumber.assign(base->row_ids.size(), -1);
  added_ids.resize(added_rows.size());
  changes.rows.resize(order.size());
  changes.row_ids.resize(order.size());
  for (std::size_t id = 0; id < order.size(); ++id) {
    const auto [at, source] = order[id];
    if (source >= 0) {
      renumber[static_cast<std::size_t>(source)] = static_cast<std::int64_t>(id);
    } else {
      added_ids[static_cast<std::size_t>(-1 - source)] = static_cast<std::int64_t>(id);
    }
    changes.rows[id] = at;
    changes.row_ids[id] = rows[at];
  }
  GraphUpdate update;
  update.outcome = GraphUpdate::Outcome::kWritten;
  update.kind = VectorIndexKind::kIvf;
  update.vectors = order.size();
  update.incremental = true;
  update.added = added_rows.size();
  update.removed = removed;
  update.changes_only = added_rows.size() + removed <= base->row_ids.size() / 10;
  if (update.changes_only) {
    RAG_TRY(store_changes(file, *base, stamp, info, options, std::move(added), std::move(changes)));
    update.seconds = seconds_since(start);
    spdlog::info(
        "Stored the IVF vector index changes in {} ({} vectors: {} added and {} removed since "
        "the base; {:.1f}s)",
        vector_changes_path(file.parent_path()).string(), update.vectors, update.added,
        update.removed, update.seconds);
    return update;
  }
  auto whole = VectorIndex::load(file, base->stamp, info.dimension, options);
  if (!whole) return afresh(whole.error().message);
  auto index = VectorIndex::update(*whole->index, renumber, std::move(added), added_ids, options);
  if (!index) return std::unexpected(index.error());
  whole->index.reset();  // its memory, before the new one is written
  RAG_TRY((*index)->save(file, stamp, {changes.rows, changes.row_ids, info.embedding_model}));
  remove_stale(vector_changes_path(file.parent_path()));
  update.seconds = seconds_since(start);
  spdlog::info(
      "Stored the IVF vector index in {} ({} vectors: {} added and {} removed since the base, "
      "over a tenth of it; the rest kept as stored; {:.1f}s)",
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

StoredGraph::StoredGraph(std::filesystem::path file)
    : file_(std::move(file)), changes_file_(vector_changes_path(file_.parent_path())) {}

StoredGraph::~StoredGraph() = default;

std::optional<StoredVectors> StoredGraph::load(const std::string& stamp, int dimension,
                                               const VectorIndexOptions& options) {
  // The times before the attempt: a file stored during it gets a newer one.
  const auto tried_time = written_at(file_);
  const auto tried_changes_time = written_at(changes_file_);
  auto loaded = load_stored(stamp, dimension, options);
  std::lock_guard lock(mutex_);
  tried_stamp_ = stamp;
  tried_time_ = tried_time;
  tried_changes_time_ = tried_changes_time;
  status_ = loaded ? Status{} : Status{true, loaded.error().message};
  if (!loaded) return std::nullopt;
  return std::move(*loaded);
}

Result<StoredVectors> StoredGraph::load_stored(const std::string& stamp, int dimension,
                                               const VectorIndexOptions& options) {
  const auto base_stamp = VectorIndex::saved_stamp(file_);
  if (base_stamp == stamp) {
    auto base = read_base(stamp, dimension, options);
    if (!base) return std::unexpected(base.error());
    return **base;  // a copy of the rows; the index is shared
  }
  if (base_stamp.empty() || saved_changes_stamp(changes_file_) != stamp) {
    // Neither is for these vectors: the base's own error says why.
    auto refused = VectorIndex::load(file_, stamp, dimension, options);
    if (!refused) return std::unexpected(refused.error());
    return fail(ErrorCode::kCorrupt, file_.string() + " changed while it was read");
  }
  auto changes = load_vector_changes(changes_file_);
  if (!changes) return std::unexpected(changes.error());
  std::error_code ec;
  if (changes->base_stamp != base_stamp || changes->base_size != file_size(file_, ec) ||
      changes->dimension != dimension) {
    return fail(ErrorCode::kCorrupt, changes_file_.string() + " was written for another base");
  }
  auto base = read_base(base_stamp, dimension, options);
  if (!base) return std::unexpected(base.error());
  auto index = VectorIndex::with_changes((*base)->index, changes->changes);
  if (!index) {
    return fail(index.error().code, index.error().message + " (" + changes_file_.string() + ")");
  }
  StoredVectors out;
  out.index = std::move(*index);
  out.rows = std::move(changes->rows);
  out.row_ids = std::move(changes->row_ids);
  out.stamp = stamp;
  out.model = std::move(changes->model);
  return out;
}

Result<const StoredVectors*> StoredGraph::read_base(const std::string& stamp, int dimension,
                                                    const VectorIndexOptions& options) {
  const auto identity = section_file::identity_of(file_);
  if (base_ && base_identity_ == identity && base_->stamp == stamp) return &*base_;
  base_.reset();
  auto loaded = VectorIndex::load(file_, stamp, dimension, options);
  if (!loaded) return std::unexpected(loaded.error());
  base_ = std::move(*loaded);
  base_identity_ = identity;
  return &*base_;
}

void StoredGraph::not_needed() {
  std::lock_guard lock(mutex_);
  status_ = Status{};
}

bool StoredGraph::arrived() const {
  std::string stamp;
  std::filesystem::file_time_type tried, tried_changes;
  {
    std::lock_guard lock(mutex_);
    if (!status_.awaiting) return false;
    stamp = tried_stamp_;
    tried = tried_time_;
    tried_changes = tried_changes_time_;
  }
  const auto newer = [](const std::filesystem::path& file, std::filesystem::file_time_type was) {
    const auto written = written_at(file);
    return written != std::filesystem::file_time_type::min() && written != was;
  };
  return (newer(file_, tried) && VectorIndex::saved_stamp(file_) == stamp) ||
         (newer(changes_file_, tried_changes) && saved_changes_stamp(changes_file_) == stamp);
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
  const auto changes_file = vector_changes_path(vector_db_path);
  if (info->embedded_chunks == 0 || update.kind == VectorIndexKind::kExact) {
    remove_stale(file);
    remove_stale(changes_file);
    return update;
  }
  auto content = (*reader)->content_generation();
  if (!content) return std::unexpected(content.error());
  const auto dimension = static_cast<std::size_t>(info->dimension);
  const auto stamp = vector_stamp(update.kind, dimension, *content);
  // The vectors did not change: the base was stored for them, or the changes on it were.
  const auto base_stamp = VectorIndex::saved_stamp(file);
  if (base_stamp == stamp || changes_stored_for(stamp, file, base_stamp)) {
    update.outcome = GraphUpdate::Outcome::kUpToDate;
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
  remove_stale(changes_file);  // of a base about to be replaced
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
