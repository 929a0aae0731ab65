#include "retrieval/options.hpp"

namespace rag::retrieval {

SnapshotOptions snapshot_options(const config::Config& config) {
  SnapshotOptions options;
  options.filter.min_score = config.search_min_score;
  options.fusion.dense_weight = config.fusion_dense_weight;
  switch (config.vector_index) {
    case config::VectorIndexChoice::kAuto:
      options.vectors.kind = VectorIndexKind::kAuto;
      break;
    case config::VectorIndexChoice::kExact:
      options.vectors.kind = VectorIndexKind::kExact;
      break;
    case config::VectorIndexChoice::kIvf:
      options.vectors.kind = VectorIndexKind::kIvf;
      break;
    case config::VectorIndexChoice::kHnsw:
      options.vectors.kind = VectorIndexKind::kHnsw;
      break;
  }
  options.vectors.approximate_threshold = config.hnsw_min_vectors;
  options.vectors.ivf_probes = config.ivf_probes;
  return options;
}

}  // namespace rag::retrieval
