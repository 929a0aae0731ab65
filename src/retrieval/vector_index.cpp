// FAISS adapter: builds IndexFlatIP or IndexHNSWFlat(METRIC_INNER_PRODUCT) over normalised
// vectors, owns it by unique_ptr, and turns every FaissException into an Error.
#include "retrieval/vector_index.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/FaissException.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>

#ifdef RAG_HAVE_OPENBLAS
extern "C" void openblas_set_num_threads(int);
#endif

namespace rag::retrieval {

using idx_t = faiss::Index::idx_t;

namespace {

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

}  // namespace

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
  std::unique_ptr<VectorIndex> out(new VectorIndex());
  out->count_ = count;
  out->dimension_ = dimension;
  out->approximate_ = count >= options.hnsw_threshold;
  out->ef_search_ = options.hnsw_ef_search;
  try {
    if (out->approximate_) {
      auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dimension, options.hnsw_m,
                                                         faiss::METRIC_INNER_PRODUCT);
      hnsw->hnsw.efConstruction = options.hnsw_ef_construction;
      hnsw->hnsw.efSearch = options.hnsw_ef_search;
      hnsw->add(static_cast<idx_t>(count), data.data());
      out->stored_ = static_cast<const faiss::IndexFlat*>(hnsw->storage)->get_xb();
      out->index_ = std::move(hnsw);
    } else {
      auto flat = std::make_unique<faiss::IndexFlatIP>(dimension);
      flat->add(static_cast<idx_t>(count), data.data());
      out->stored_ = flat->get_xb();
      out->index_ = std::move(flat);
    }
  } catch (const faiss::FaissException& e) {
    return fail(ErrorCode::kInternal, std::string("FAISS index build failed: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail(ErrorCode::kInternal, "FAISS index build failed: out of memory");
  }
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
    if (approximate_) {
      faiss::SearchParametersHNSW params;
      params.efSearch = std::max(ef_search_, static_cast<int>(limit));
      index_->search(1, q.data(), static_cast<idx_t>(limit), distances.data(), labels.data(),
                     &params);
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

float VectorIndex::similarity(const std::vector<float>& normalised_query, std::int64_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= count_ ||
      static_cast<int>(normalised_query.size()) != dimension_) {
    return 0;
  }
  const float* v = stored_ + static_cast<std::size_t>(id) * dimension_;
  double dot = 0;
  for (int i = 0; i < dimension_; ++i) dot += static_cast<double>(v[i]) * normalised_query[i];
  return static_cast<float>(dot);
}

}  // namespace rag::retrieval
