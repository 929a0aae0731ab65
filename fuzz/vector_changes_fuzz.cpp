// Fuzz target `vector_changes`: the bytes of a `vectors-changes.idx`
// (retrieval/vector_changes.hpp), parsed with the checksum skipped so that the structure checks
// alone face every input, then applied as the server applies them (VectorIndex::with_changes) to
// the target's own base: a small IVF index (40 vectors of 4 dimensions in 4 lists, built once).
// When accepted: searches for a few queries at several limits, and the similarity of every vector.
// Oracles besides ASan/UBSan: no exception; a refusal carries a message and is kCorrupt; an
// accepted index holds one vector per row; hits name vectors that exist, at most as many as
// asked, best first; similarities are finite.
//
// The seeds are real files for that base, written by the target itself:
//   RAG_FUZZ_WRITE_SEED=fuzz/corpus/vector_changes/<name> build/fuzz/fuzz_vector_changes
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "retrieval/vector_changes.hpp"
#include "retrieval/vector_index.hpp"
#include "vector_oracles.hpp"

namespace retrieval = rag::retrieval;
using rag::fuzz::Aligned;
using rag::fuzz::check;

namespace {

constexpr int kDim = 4;
constexpr std::size_t kBase = 40;

std::vector<float> vectors(std::size_t count, unsigned seed) {
  return rag::fuzz::normal_vectors(count, kDim, seed);
}

const std::shared_ptr<const retrieval::VectorIndex>& base() {
  static const std::shared_ptr<const retrieval::VectorIndex> index = [] {
    retrieval::VectorIndexOptions options;
    options.kind = retrieval::VectorIndexKind::kIvf;
    options.ivf_lists = 4;
    options.ivf_probes = 2;
    auto built = retrieval::VectorIndex::build(vectors(kBase, 1), kBase, kDim, options);
    check(built.has_value(), "the base does not build");
    return std::shared_ptr<const retrieval::VectorIndex>(std::move(*built));
  }();
  return index;
}

// A real changes file for the base: every fourth vector removed, three added among the rest.
retrieval::StoredVectorChanges seed() {
  retrieval::StoredVectorChanges out;
  out.stamp = "IVF index of vectors of dimension 4, content seed:2";
  out.base_stamp = "IVF index of vectors of dimension 4, content seed:1";
  out.model = "fuzz-model";
  out.dimension = kDim;
  std::int64_t next = 0;
  for (std::size_t b = 0; b < kBase; ++b) {
    out.changes.base_ids.push_back(b % 4 == 0 ? -1 : next++);
    if (b == 7 || b == 20 || b == 33) out.changes.added_ids.push_back(next++);
  }
  auto encoded = base()->encode(vectors(3, 2), 3);
  check(encoded.has_value(), "the seed's vectors do not encode");
  out.changes.added_lists = std::move(encoded->lists);
  out.changes.added_codes = std::move(encoded->codes);
  for (std::int64_t id = 0; id < next; ++id) {
    out.rows.push_back(static_cast<std::uint32_t>(id));
    out.row_ids.push_back(100 + id);
  }
  return out;
}

template <typename T>
bool refused(const rag::Result<T>& result) {
  if (result) return false;
  check(!result.error().message.empty(), "a refusal without a message");
  check(result.error().code == rag::ErrorCode::kCorrupt, "a refusal that is not kCorrupt");
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* out = std::getenv("RAG_FUZZ_WRITE_SEED")) {
    const auto written = retrieval::save_vector_changes(seed(), out);
    check(written.has_value(), "the seed cannot be written");
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Aligned input(std::span(data, size));
  auto parsed = retrieval::parse_vector_changes(input.bytes, /*verify_checksum=*/false);
  if (refused(parsed) || parsed->dimension != kDim) return 0;  // the server checks the dimension
  auto applied = retrieval::VectorIndex::with_changes(base(), parsed->changes);
  if (refused(applied)) return 0;
  const auto& index = **applied;
  check(index.size() == parsed->rows.size(), "not one vector per row");
  rag::fuzz::check_searches(index, kDim);
  return 0;
}
