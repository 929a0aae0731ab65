#include "retrieval/options.hpp"

namespace rag::retrieval {

SnapshotOptions snapshot_options(const config::Config& config) {
  SnapshotOptions options;
  options.filter.min_score = config.search_min_score;
  options.fusion.dense_weight = config.fusion_dense_weight;
  options.vectors.hnsw_threshold = config.hnsw_min_vectors;
  return options;
}

}  // namespace rag::retrieval
