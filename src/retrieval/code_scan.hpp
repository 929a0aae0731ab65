// The inner loop of IVF search (vector_index.hpp): the dot products of a query with vectors
// stored as 8-bit codes, one byte a dimension. Debian's libfaiss is built for generic x86-64,
// so its own scan of these codes is a scalar loop (~1.5 µs a vector of 1536 dimensions here);
// these kernels pick AVX-512 or AVX2 at run time, as OpenBLAS does, and fall back to the same
// scalar loop on a CPU without either. bench/scale/RESULTS.md, "Dense", has the figures.
//
// A code c of dimension i stands for vmin[i] + (c + 0.5) / 255 * vdiff[i] (FAISS's QT_8bit),
// so a query's dot product with a coded vector is `offset + Σ weight[i] * c[i]`, which
// CodeWeights precomputes once per query.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace rag::retrieval {

struct CodeWeights {
  std::vector<float> weight;  // query[i] * vdiff[i] / 255
  float offset = 0;           // Σ query[i] * (vmin[i] + vdiff[i] / 510)
};

// REQUIRES: vmin, vdiff and query have the same size.
CodeWeights code_weights(std::span<const float> query, std::span<const float> vmin,
                         std::span<const float> vdiff);

// Σ weight[i] * codes[i] over weight.size() dimensions (without the offset), by the best
// kernel this CPU runs.
float code_dot(const std::vector<float>& weight, const std::uint8_t* codes);

// Every kernel this CPU runs, the one code_dot uses first: for tests.
struct CodeDotKernel {
  std::string_view name;
  float (*dot)(const float* weight, const std::uint8_t* codes, std::size_t dimensions);
};
std::vector<CodeDotKernel> code_dot_kernels();

}  // namespace rag::retrieval
