// FAISS adapter: builds IndexFlatIP, IndexIVFScalarQuantizer or IndexHNSWFlat
// (METRIC_INNER_PRODUCT) over normalised vectors, owns it by unique_ptr, searches it (IVF with
// code_scan.hpp's kernels), applies the changes since a stored base, and turns every
// FaissException into an Error. The file it is stored in: vector_index_file.cpp.
#include "retrieval/vector_index.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/clone_index.h>
#include <faiss/impl/FaissException.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>

#include "retrieval/code_scan.hpp"
#include "retrieval/faiss_settings.hpp"

#ifdef RAG_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int);
#endif

namespace rag::retrieval {

using idx_t = faiss::Index::idx_t;

// Process-wide FAISS/BLAS settings, applied once. Debian's libfaiss is built for generic
// x86-64, so its single-query exact scan (used below distance_compute_blas_threshold = 20
// queries) is a scalar loop: ~310 ms per query at 100k x 1536 on this machine. Routing single
// queries through BLAS (OpenBLAS dispatches to AVX2/AVX-512 at run time) is several times
// faster (bench/retrieval/RESULTS.md). One BLAS thread: parallelism comes from concurrent
// requests, as with OpenMP.
void configure_faiss_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    faiss::distance_compute_blas_threshold = 1;
#ifdef RAG_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#endif
  });
}

namespace {

// Sets FAISS's and BLAS's threads for a build, and back to one when it ends (searches run one
// per request thread).
class BuildThreads {
 public:
  explicit BuildThreads(int threads) { set(std::max(1, threads)); }
  ~BuildThreads() { set(1); }
  BuildThreads(const BuildThreads&) = delete;
  BuildThreads& operator=(const BuildThreads&) = delete;

 private:
  static void set(int threads) {
    omp_set_num_threads(threads);
#ifdef RAG_HAVE_OPENBLAS
    openblas_set_num_threads(threads);
#endif
  }
};

// IVF over `count` normalised vectors: `lists` centroids trained by k-means on an even sample
// of at most 64 vectors a list (FAISS's default is 256: four times the training), 10
// iterations, then every vector quantised to 8 bits a dimension over the range of that
// dimension (not relative to its list's centroid: code_scan.hpp scans the codes themselves).
std::unique_ptr<faiss::Index> build_ivf(const float* data, std::size_t count, int dimension,
                                        std::size_t lists) {
  constexpr std::size_t kTrainPerList = 64;
  auto quantizer = std::make_unique<faiss::IndexFlatIP>(dimension);
  auto ivf = std::make_unique<faiss::IndexIVFScalarQuantizer>(quantizer.get(), dimension, lists,
                                                              faiss::ScalarQuantizer::QT_8bit,
                                                              faiss::METRIC_INNER_PRODUCT);
  ivf->own_fields = true;
  quantizer.release();
  ivf->by_residual = false;
  ivf->cp.niter = 10;
  ivf->cp.min_points_per_centroid = 1;  // small indexes: no warning on stderr
  ivf->cp.max_points_per_centroid = kTrainPerList;
  const std::size_t sample = std::min(count, lists * kTrainPerList);
  std::vector<float> training;
  training.reserve(sample * static_cast<std::size_t>(dimension));
  for (std::size_t i = 0; i < sample; ++i) {
    const float* row = data + (i * count / sample) * static_cast<std::size_t>(dimension);
    training.insert(training.end(), row, row + dimension);
  }
  ivf->train(static_cast<idx_t>(sample), training.data());
  std::vector<float>().swap(training);
  ivf->add(static_cast<idx_t>(count), data);
  ivf->make_direct_map(true);  // similarity() reconstructs by id
  return ivf;
}

// Whether every one of the `n` floats at `x` is finite: a NaN read from a file would make
// similarities NaN, which no ranking can order.
bool all_finite(const float* x, std::size_t n) {
  return std::all_of(x, x + n, [](float v) { return std::isfinite(v); });
}

// Whether the HNSW graph `g` (as read from a file) over `count` vectors can be searched without
// reading outside it: each vector's level within the levels per-level neighbour counts know,
// its neighbour slots where its offsets say, every neighbour a vector of at least that level
// (or -1: none), the entry point a vector of the top level, and one candidate carried between
// levels (FAISS's upper_beam default, which sizes a search's buffers). FAISS's reader checks
// none of it, and its search follows these numbers as they are.
bool well_formed(const faiss::HNSW& g, std::size_t count) {
  const auto& cum = g.cum_nneighbor_per_level;
  if (cum.size() < 2 || cum[0] != 0 || g.levels.size() != count || g.offsets.size() != count + 1 ||
      g.offsets[0] != 0 || g.upper_beam != 1) {
    return false;
  }
  for (std::size_t l = 1; l < cum.size(); ++l) {
    if (cum[l] < cum[l - 1]) return false;
  }
  for (std::size_t i = 0; i < count; ++i) {
    const int levels = g.levels[i];
    if (levels < 1 || static_cast<std::size_t>(levels) >= cum.size() ||
        g.offsets[i + 1] < g.offsets[i] ||
        g.offsets[i + 1] - g.offsets[i] != static_cast<std::size_t>(cum[levels])) {
      return false;
    }
  }
  if (g.offsets[count] != g.neighbors.size()) return false;
  for (std::size_t i = 0; i < count; ++i) {
    for (int level = 0; level < g.levels[i]; ++level) {
      for (auto j = g.offsets[i] + static_cast<std::size_t>(cum[level]);
           j < g.offsets[i] + static_cast<std::size_t>(cum[level + 1]); ++j) {
        const auto n = g.neighbors[j];
        if (n < -1 || n >= static_cast<std::int64_t>(count) ||
            (n >= 0 && g.levels[static_cast<std::size_t>(n)] <= level)) {
          return false;
        }
      }
    }
  }
  if (count == 0) return g.entry_point == -1;
  return g.entry_point >= 0 && static_cast<std::size_t>(g.entry_point) < count &&
         g.max_level == g.levels[static_cast<std::size_t>(g.entry_point)] - 1;
}

// Whether `ivf` (as read from a file) holds each of the ids 0..count-1 exactly once, with
// `dimension` bytes of codes each: what search_ivf's scan, the direct map and the snapshot's rows
// rely on. FAISS's reader checks none of it.
bool well_formed(const faiss::IndexIVFScalarQuantizer& ivf, std::size_t count, int dimension) {
  const auto* lists = dynamic_cast<const faiss::ArrayInvertedLists*>(ivf.invlists);
  const auto code_size = static_cast<std::size_t>(dimension);
  if (lists == nullptr || lists->nlist != ivf.nlist || lists->code_size != code_size ||
      ivf.quantizer == nullptr || ivf.quantizer->d != dimension ||
      static_cast<std::size_t>(ivf.quantizer->ntotal) != ivf.nlist ||
      lists->codes.size() != ivf.nlist || lists->ids.size() != ivf.nlist) {
    return false;
  }
  std::vector<bool> seen(count);
  std::size_t total = 0;
  for (std::size_t l = 0; l < ivf.nlist; ++l) {
    const auto& ids = lists->ids[l];
    if (lists->codes[l].size() != ids.size() * code_size) return false;
    for (const auto id : ids) {
      if (id < 0 || static_cast<std::size_t>(id) >= count || seen[static_cast<std::size_t>(id)]) {
        return false;
      }
      seen[static_cast<std::size_t>(id)] = true;
    }
    total += ids.size();
  }
  return total == count;
}

}  // namespace

std::string_view kind_name(VectorIndexKind kind) {
  switch (kind) {
    case VectorIndexKind::kAuto:
      return "auto";
    case VectorIndexKind::kExact:
      return "exact";
    case VectorIndexKind::kIvf:
      return "IVF";
    case VectorIndexKind::kHnsw:
      return "HNSW";
  }
  return "auto";
}

VectorIndexKind VectorIndexOptions::kind_for(std::size_t count) const {
  if (kind != VectorIndexKind::kAuto) return kind;
  return count >= approximate_threshold ? VectorIndexKind::kIvf : VectorIndexKind::kExact;
}

VectorIndex::~VectorIndex() = default;

void VectorIndex::normalise(float* v, int dimension) {
  double sum = 0;
  for (int i = 0; i < dimension; ++i) sum += static_cast<double>(v[i]) * v[i];
  if (sum <= 0) return;
  const auto inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (int i = 0; i < dimension; ++i) v[i] *= inv;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::build(std::vector<float> data,
                                                        std::size_t count, int dimension,
                                                        const VectorIndexOptions& options) {
  if (dimension <= 0 || data.size() != count * static_cast<std::size_t>(dimension)) {
    return fail(ErrorCode::kInvalidArgument, "vector data does not match count x dimension");
  }
  for (std::size_t i = 0; i < count; ++i) normalise(data.data() + i * dimension, dimension);
  configure_faiss_once();
  const auto kind = count == 0 ? VectorIndexKind::kExact : options.kind_for(count);
  std::unique_ptr<faiss::Index> index;
  try {
    BuildThreads threads(options.build_threads);
    if (kind == VectorIndexKind::kIvf) {
      const std::size_t lists =
          options.ivf_lists > 0
              ? options.ivf_lists
              : static_cast<std::size_t>(4 * std::sqrt(static_cast<double>(count)));
      index = build_ivf(data.data(), count, dimension, std::clamp<std::size_t>(lists, 1, count));
    } else if (kind == VectorIndexKind::kHnsw) {
      auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dimension, options.hnsw_m,
                                                         faiss::METRIC_INNER_PRODUCT);
      hnsw->hnsw.efConstruction = options.hnsw_ef_construction;
      hnsw->add(static_cast<idx_t>(count), data.data());
      index = std::move(hnsw);
    } else {
      auto flat = std::make_unique<faiss::IndexFlatIP>(dimension);
      flat->add(static_cast<idx_t>(count), data.data());
      index = std::move(flat);
    }
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kInternal, std::string("FAISS index build failed: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kInternal, "FAISS index build failed: out of memory");
  }
  auto out = adopt(std::move(index), count, dimension, options);
  if (!out) return fail(ErrorCode::kInternal, "FAISS built an index of an unexpected shape");
  return out;
}

std::unique_ptr<VectorIndex> VectorIndex::adopt(std::unique_ptr<faiss::Index> index,
                                                std::size_t count, int dimension,
                                                const VectorIndexOptions& options) {
  if (index == nullptr || index->metric_type != faiss::METRIC_INNER_PRODUCT ||
      index->d != dimension || static_cast<std::size_t>(index->ntotal) != count) {
    return nullptr;
  }
  std::unique_ptr<VectorIndex> out(new VectorIndex());
  if (auto* ivf = dynamic_cast<faiss::IndexIVFScalarQuantizer*>(index.get())) {
    const auto* centroids = dynamic_cast<const faiss::IndexFlat*>(ivf->quantizer);
    if (ivf->sq.qtype != faiss::ScalarQuantizer::QT_8bit || ivf->by_residual || ivf->nlist == 0 ||
        ivf->sq.trained.size() != 2 * static_cast<std::size_t>(dimension) ||
        ivf->code_size != static_cast<std::size_t>(dimension) ||
        !well_formed(*ivf, count, dimension) || centroids == nullptr ||
        !all_finite(ivf->sq.trained.data(), ivf->sq.trained.size()) ||
        !all_finite(centroids->get_xb(), ivf->nlist * static_cast<std::size_t>(dimension))) {
      return nullptr;
    }
    try {
      if (ivf->direct_map.type != faiss::DirectMap::Array) ivf->make_direct_map(true);
    } catch (const faiss::FaissException&) {
      return nullptr;  // ids that are not 0..count-1 once each
    }
    out->kind_ = VectorIndexKind::kIvf;
  } else if (auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(index.get())) {
    const auto* flat = dynamic_cast<const faiss::IndexFlat*>(hnsw->storage);
    if (flat == nullptr || !well_formed(hnsw->hnsw, count) ||
        !all_finite(flat->get_xb(), count * static_cast<std::size_t>(dimension))) {
      return nullptr;
    }
    hnsw->hnsw.efSearch = options.hnsw_ef_search;
    out->stored_ = flat->get_xb();
    out->kind_ = VectorIndexKind::kHnsw;
  } else if (auto* flat = dynamic_cast<faiss::IndexFlat*>(index.get())) {
    if (!all_finite(flat->get_xb(), count * static_cast<std::size_t>(dimension))) return nullptr;
    out->stored_ = flat->get_xb();
    out->kind_ = VectorIndexKind::kExact;
  } else {
    return nullptr;
  }
  out->count_ = count;
  out->dimension_ = dimension;
  out->ef_search_ = options.hnsw_ef_search;
  if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index.get())) {
    out->probes_ =
        options.ivf_probes > 0 ? options.ivf_probes : std::max<std::size_t>(32, ivf->nlist / 16);
    out->probes_ = std::min(out->probes_, ivf->nlist);
  }
  out->index_ = std::move(index);
  return out;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::update(const VectorIndex& base,
                                                         std::span<const std::int64_t> renumber,
                                                         std::vector<float> added,
                                                         std::span<const std::int64_t> added_ids,
                                                         const VectorIndexOptions& options) {
  const auto* old = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(base.index_.get());
  const auto d = static_cast<std::size_t>(base.dimension_);
  if (old == nullptr || renumber.size() != base.count_ || added.size() != added_ids.size() * d) {
    return fail(ErrorCode::kInvalidArgument, "an incremental update needs an IVF index");
  }
  const auto kept =
      static_cast<std::size_t>(std::ranges::count_if(renumber, [](auto id) { return id >= 0; }));
  const std::size_t count = kept + added_ids.size();
  for (std::size_t i = 0; i < added_ids.size(); ++i) {
    normalise(added.data() + i * d, base.dimension_);
  }
  std::unique_ptr<faiss::Index> index;
  try {
    BuildThreads threads(options.build_threads);
    auto* quantizer = faiss::clone_index(old->quantizer);
    auto ivf = std::make_unique<faiss::IndexIVFScalarQuantizer>(
        quantizer, old->d, old->nlist, old->sq.qtype, faiss::METRIC_INNER_PRODUCT,
        /*by_residual=*/false);
    ivf->own_fields = true;
    ivf->sq = old->sq;
    ivf->is_trained = true;
    const auto* lists = dynamic_cast<const faiss::ArrayInvertedLists*>(old->invlists);
    if (lists == nullptr) return fail(ErrorCode::kInvalidArgument, "unexpected IVF lists");
    std::vector<idx_t> ids;
    std::vector<std::uint8_t> codes;
    for (std::size_t l = 0; l < old->nlist; ++l) {
      ids.clear();
      codes.clear();
      const auto& old_ids = lists->ids[l];
      for (std::size_t i = 0; i < old_ids.size(); ++i) {
        const auto id = old_ids[i];
        if (id < 0 || static_cast<std::size_t>(id) >= renumber.size() || renumber[id] < 0) {
          continue;
        }
        ids.push_back(renumber[id]);
        const auto* code = lists->codes[l].data() + i * old->code_size;
        codes.insert(codes.end(), code, code + old->code_size);
      }
      if (!ids.empty()) ivf->invlists->add_entries(l, ids.size(), ids.data(), codes.data());
    }
    ivf->ntotal = static_cast<idx_t>(kept);
    if (!added_ids.empty()) {
      ivf->add_with_ids(static_cast<idx_t>(added_ids.size()), added.data(), added_ids.data());
    }
    index = std::move(ivf);
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kInternal, std::string("FAISS index update failed: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kInternal, "FAISS index update failed: out of memory");
  }
  auto out = adopt(std::move(index), count, base.dimension_, options);
  if (!out)
    return fail(ErrorCode::kInvalidArgument, "the updated ids are not 0..count-1 once each");
  return out;
}

Result<std::vector<VectorHit>> VectorIndex::search(const std::vector<float>& query,
                                                   std::size_t limit) const {
  if (static_cast<int>(query.size()) != dimension_) {
    return fail(ErrorCode::kInvalidArgument,
                "query vector has dimension " + std::to_string(query.size()) +
                    ", the index has " + std::to_string(dimension_));
  }
  limit = std::min(limit, count_);
  if (limit == 0) return std::vector<VectorHit>{};
  std::vector<float> q = query;
  normalise(q.data(), dimension_);
  std::vector<float> distances(limit);
  std::vector<idx_t> labels(limit, -1);
  omp_set_num_threads(1);
  try {
    if (kind_ == VectorIndexKind::kHnsw) {
      faiss::SearchParametersHNSW params;
      params.efSearch = std::max(ef_search_, static_cast<int>(limit));
      index_->search(1, q.data(), static_cast<idx_t>(limit), distances.data(), labels.data(),
                     &params);
    } else if (kind_ == VectorIndexKind::kIvf) {
      return search_ivf(q, limit);
    } else {
      index_->search(1, q.data(), static_cast<idx_t>(limit), distances.data(), labels.data());
    }
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kInternal, std::string("FAISS search failed: ") + e.what());
  }
  std::vector<VectorHit> hits;
  hits.reserve(limit);
  for (std::size_t i = 0; i < limit; ++i) {
    if (labels[i] >= 0) hits.push_back({labels[i], distances[i]});
  }
  return hits;
}

struct VectorIndex::Changes {
  std::shared_ptr<const VectorIndex> base;
  const faiss::IndexIVFScalarQuantizer* ivf = nullptr;  // the base's
  std::vector<std::int64_t> base_ids;                   // by base id: its id here, or -1 (removed)
  // The added vectors by list: list l's are [list_start[l], list_start[l + 1]).
  std::vector<std::size_t> list_start;
  std::vector<std::int64_t> ids;
  std::vector<std::uint8_t> codes;
  std::vector<std::int64_t> source;  // by id: its base id, or -1 - its place among the added
};

namespace {

// The best `limit` hits offered, ties to the smaller id, as in FAISS's own scan: a min-heap
// with the worst of them on top.
class TopHits {
 public:
  explicit TopHits(std::size_t limit) : limit_(limit) { heap_.reserve(limit + 1); }
  // Whether a hit of this similarity might be taken (a tie with the worst depends on the id).
  bool might_take(float similarity) const {
    return heap_.size() < limit_ || similarity >= heap_.front().similarity;
  }
  void offer(const VectorHit& hit) {
    if (heap_.size() == limit_ && !better(hit, heap_.front())) return;
    heap_.push_back(hit);
    std::ranges::push_heap(heap_, better);
    if (heap_.size() > limit_) {
      std::ranges::pop_heap(heap_, better);
      heap_.pop_back();
    }
  }
  std::vector<VectorHit> take() && {
    std::ranges::sort_heap(heap_, better);
    return std::move(heap_);
  }

 private:
  static bool better(const VectorHit& a, const VectorHit& b) {
    return a.similarity > b.similarity || (a.similarity == b.similarity && a.id < b.id);
  }
  std::size_t limit_;
  std::vector<VectorHit> heap_;
};

}  // namespace

const faiss::IndexIVFScalarQuantizer* VectorIndex::ivf_index() const {
  return changes_ ? changes_->ivf
                  : dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(index_.get());
}

Result<EncodedVectors> VectorIndex::encode(std::vector<float> vectors, std::size_t count,
                                           int threads) const {
  const auto* ivf = ivf_index();
  const auto d = static_cast<std::size_t>(dimension_);
  if (ivf == nullptr || vectors.size() != count * d) {
    return fail(ErrorCode::kInvalidArgument, "only an IVF index encodes vectors of its shape");
  }
  for (std::size_t i = 0; i < count; ++i) normalise(vectors.data() + i * d, dimension_);
  EncodedVectors out;
  out.codes.resize(count * d);
  std::vector<idx_t> lists(count);
  try {
    BuildThreads build(threads);
    ivf->quantizer->assign(static_cast<idx_t>(count), vectors.data(), lists.data());
    ivf->sq.compute_codes(vectors.data(), out.codes.data(), count);
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kInternal, std::string("FAISS encoding failed: ") + e.what());
  }
  out.lists.reserve(count);
  for (const auto list : lists) {
    if (list < 0 || static_cast<std::size_t>(list) >= ivf->nlist) {
      return fail(ErrorCode::kInternal, "FAISS assigned a vector to no list");
    }
    out.lists.push_back(static_cast<std::uint32_t>(list));
  }
  return out;
}

Result<std::unique_ptr<VectorIndex>> VectorIndex::with_changes(
    std::shared_ptr<const VectorIndex> base, const VectorChanges& changes) {
  // Not a base with changes itself: its ids are not those of the lists it scans.
  const auto* ivf = base == nullptr || base->changes_ ? nullptr : base->ivf_index();
  if (ivf == nullptr) return fail(ErrorCode::kInvalidArgument, "changes apply to an IVF index");
  const auto d = static_cast<std::size_t>(base->dimension_);
  const auto added = changes.added_ids.size();
  const auto misfit = [](const std::string& why) {
    return fail(ErrorCode::kCorrupt, "the vector changes do not fit the base: " + why);
  };
  if (changes.base_ids.size() != base->count_) return misfit("another number of base vectors");
  if (changes.added_lists.size() != added || changes.added_codes.size() != added * d) {
    return misfit("added vectors without a list or a code");
  }
  const auto kept = static_cast<std::size_t>(
      std::ranges::count_if(changes.base_ids, [](auto id) { return id >= 0; }));
  auto c = std::make_shared<Changes>();
  const std::size_t count = kept + added;
  c->source.assign(count, std::numeric_limits<std::int64_t>::min());
  const auto place = [&](std::int64_t id, std::int64_t source) {
    if (id < 0 || static_cast<std::size_t>(id) >= count ||
        c->source[static_cast<std::size_t>(id)] != std::numeric_limits<std::int64_t>::min()) {
      return false;
    }
    c->source[static_cast<std::size_t>(id)] = source;
    return true;
  };
  for (std::size_t b = 0; b < changes.base_ids.size(); ++b) {
    if (changes.base_ids[b] >= 0 && !place(changes.base_ids[b], static_cast<std::int64_t>(b))) {
      return misfit("a base vector's id is out of range or given twice");
    }
  }
  // The added vectors by list (a stable counting sort: within a list, in the order given, as
  // update() adds them).
  c->list_start.assign(ivf->nlist + 1, 0);
  for (const auto list : changes.added_lists) {
    if (list >= ivf->nlist) return misfit("a list out of range");
    ++c->list_start[list + 1];
  }
  for (std::size_t l = 0; l < ivf->nlist; ++l) c->list_start[l + 1] += c->list_start[l];
  auto next = c->list_start;
  c->ids.resize(added);
  c->codes.resize(added * d);
  for (std::size_t k = 0; k < added; ++k) {
    const auto at = next[changes.added_lists[k]]++;
    if (!place(changes.added_ids[k], -1 - static_cast<std::int64_t>(at))) {
      return misfit("an added vector's id is out of range or given twice");
    }
    c->ids[at] = changes.added_ids[k];
    std::copy_n(changes.added_codes.data() + k * d, d, c->codes.data() + at * d);
  }
  c->base_ids = changes.base_ids;
  c->ivf = ivf;
  std::unique_ptr<VectorIndex> out(new VectorIndex());
  out->count_ = count;
  out->dimension_ = base->dimension_;
  out->kind_ = VectorIndexKind::kIvf;
  out->ef_search_ = base->ef_search_;
  out->probes_ = base->probes_;
  c->base = std::move(base);
  out->changes_ = std::move(c);
  return out;
}

// The `probes_` lists whose centroids are nearest the query, scanned by code_scan.hpp's kernels
// into the best `limit`; with changes, each list's base vectors (renumbered, the removed ones
// skipped) and then its added ones, the order update() would store them in.
Result<std::vector<VectorHit>> VectorIndex::search_ivf(const std::vector<float>& q,
                                                       std::size_t limit) const {
  const auto& ivf = *ivf_index();
  std::vector<float> centroid_scores(probes_);
  std::vector<idx_t> lists(probes_, -1);
  ivf.quantizer->search(1, q.data(), static_cast<idx_t>(probes_), centroid_scores.data(),
                        lists.data());
  const auto d = static_cast<std::size_t>(dimension_);
  const auto weights =
      code_weights(q, std::span(ivf.sq.trained).first(d), std::span(ivf.sq.trained).subspan(d, d));
  TopHits top(limit);
  const Changes* changes = changes_.get();
  for (const idx_t list : lists) {
    if (list < 0) continue;
    const auto size = ivf.invlists->list_size(static_cast<std::size_t>(list));
    faiss::InvertedLists::ScopedCodes codes(ivf.invlists, static_cast<std::size_t>(list));
    faiss::InvertedLists::ScopedIds ids(ivf.invlists, static_cast<std::size_t>(list));
    for (std::size_t j = 0; j < size; ++j) {
      const float similarity = weights.offset + code_dot(weights.weight, codes.get() + j * d);
      if (!top.might_take(similarity)) continue;
      auto id = ids[j];
      if (changes != nullptr && (id = changes->base_ids[static_cast<std::size_t>(id)]) < 0) {
        continue;  // removed since the base
      }
      top.offer({id, similarity});
    }
    if (changes == nullptr) continue;
    for (auto k = changes->list_start[static_cast<std::size_t>(list)];
         k < changes->list_start[static_cast<std::size_t>(list) + 1]; ++k) {
      const float similarity =
          weights.offset + code_dot(weights.weight, changes->codes.data() + k * d);
      if (top.might_take(similarity)) top.offer({changes->ids[k], similarity});
    }
  }
  return std::move(top).take();
}

float VectorIndex::similarity(const std::vector<float>& normalised_query, std::int64_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= count_ ||
      static_cast<int>(normalised_query.size()) != dimension_) {
    return 0;
  }
  const auto d = static_cast<std::size_t>(dimension_);
  std::vector<float> decoded;
  const float* v = nullptr;
  if (changes_) {
    const auto source = changes_->source[static_cast<std::size_t>(id)];
    if (source >= 0) return changes_->base->similarity(normalised_query, source);
    decoded.resize(d);
    changes_->ivf->sq.decode(changes_->codes.data() + static_cast<std::size_t>(-1 - source) * d,
                             decoded.data(), 1);
    v = decoded.data();
  } else if (stored_ != nullptr) {
    v = stored_ + static_cast<std::size_t>(id) * d;
  } else {  // IVF: decoded from its 8-bit codes
    decoded.resize(d);
    try {
      index_->reconstruct(id, decoded.data());
    } catch (const faiss::FaissException&) {
      return 0;
    }
    v = decoded.data();
  }
  double dot = 0;
  for (int i = 0; i < dimension_; ++i) dot += static_cast<double>(v[i]) * normalised_query[i];
  return static_cast<float>(dot);
}

}  // namespace rag::retrieval
