// The retrieval settings of docs/configuration.md (SEARCH_MIN_SCORE, FUSION_DENSE_WEIGHT,
// VECTOR_INDEX, HNSW_MIN_VECTORS, IVF_PROBES) as a snapshot's options, for `serve`, `search` and
// `eval` alike.
//
// Thread-safety: a pure function.
#pragma once

#include "config/config.hpp"
#include "retrieval/snapshot.hpp"

namespace rag::retrieval {

SnapshotOptions snapshot_options(const config::Config& config);

}  // namespace rag::retrieval
