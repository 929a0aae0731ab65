// Fuzz target `vector_index_file`: the bytes of a `vectors.faiss` (retrieval/vector_index.hpp,
// docs/INDEX-FORMAT.md), loaded as the server loads it (VectorIndex::load, whole) and as the
// indexer's incremental update does (Part::kTrained), from a file the target writes for each
// input. The FAISS part is checked byte by byte before libfaiss reads it (faiss_layout.hpp);
// the lists, rows and row ids after it are the project's own. When accepted: searches for a few
// queries at several limits, and the similarity of every vector. Oracles besides ASan/UBSan: no
// exception; a refusal carries a message and is kCorrupt (kInvalidArgument only for a trained
// part asked of an index that is not IVF); an accepted index holds one vector per row and row
// id; hits name vectors that exist, at most as many as asked, best first; similarities are
// finite.
//
// The seeds are real files of 40 vectors of 4 dimensions (IVF, HNSW and exact), written by the
// target itself:
//   RAG_FUZZ_WRITE_SEED=fuzz/corpus/vector_index_file build/fuzz/fuzz_vector_index_file
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_target.hpp"
#include "retrieval/vector_index.hpp"
#include "vector_oracles.hpp"

namespace retrieval = rag::retrieval;
using rag::fuzz::check;

namespace {

constexpr int kDim = 4;
constexpr std::size_t kCount = 40;

std::vector<float> vectors(std::size_t count, unsigned seed) {
  return rag::fuzz::normal_vectors(count, kDim, seed);
}

// Where each input is written: one file per fuzzing process.
const std::filesystem::path& input_file() {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("rag-fuzz-vectors-" + std::to_string(::getpid()) + ".faiss");
  return file;
}

void write_seeds(const std::filesystem::path& dir) {
  std::vector<std::uint32_t> rows(kCount);
  std::vector<std::int64_t> row_ids(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    rows[i] = static_cast<std::uint32_t>(2 * i + 1);
    row_ids[i] = static_cast<std::int64_t>(100 + i);
  }
  for (const auto& [name, kind] : {std::pair{"ivf_40x4", retrieval::VectorIndexKind::kIvf},
                                   std::pair{"hnsw_40x4", retrieval::VectorIndexKind::kHnsw},
                                   std::pair{"exact_40x4", retrieval::VectorIndexKind::kExact}}) {
    retrieval::VectorIndexOptions options;
    options.kind = kind;
    options.ivf_lists = 4;
    options.ivf_probes = 2;
    auto built = retrieval::VectorIndex::build(vectors(kCount, 1), kCount, kDim, options);
    check(built.has_value(), "a seed index does not build");
    const auto saved = (*built)->save(dir / name, "fuzz seed",
                                      {.rows = rows, .row_ids = row_ids, .model = "fuzz-model"});
    check(saved.has_value(), "a seed cannot be written");
  }
}

template <typename T>
bool refused(const rag::Result<T>& result, bool trained_part) {
  if (result) return false;
  check(!result.error().message.empty(), "a refusal without a message");
  check(result.error().code == rag::ErrorCode::kCorrupt ||
            (trained_part && result.error().code == rag::ErrorCode::kInvalidArgument),
        "a refusal that is not kCorrupt");
  return true;
}

void exercise(const retrieval::StoredVectors& stored, bool trained_part) {
  const auto& index = *stored.index;
  check(stored.rows.size() == stored.row_ids.size(), "rows and row ids differ in number");
  check(trained_part ? index.size() == 0 : index.size() == stored.rows.size(),
        "not one vector per row");
  rag::fuzz::check_searches(index, kDim);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* out = std::getenv("RAG_FUZZ_WRITE_SEED")) {
    write_seeds(out);
    std::exit(0);
  }
  input_file();  // made before the handler is registered, so destroyed after it has run
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove(input_file(), ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(input_file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    check(out.good(), "the input cannot be written");
  }
  for (const auto part :
       {retrieval::VectorIndex::Part::kWhole, retrieval::VectorIndex::Part::kTrained}) {
    const bool trained_part = part == retrieval::VectorIndex::Part::kTrained;
    auto loaded = retrieval::VectorIndex::load(input_file(), "", kDim, {}, part);
    if (!refused(loaded, trained_part)) exercise(*loaded, trained_part);
  }
  return 0;
}
