// 8-bit code dot products with run-time dispatch (see code_scan.hpp).
#include "retrieval/code_scan.hpp"

#include <immintrin.h>

namespace rag::retrieval {

namespace {

float dot_scalar(const float* w, const std::uint8_t* c, std::size_t n) {
  float sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += w[i] * static_cast<float>(c[i]);
  return sum;
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* w, const std::uint8_t* c,
                                                   std::size_t n) {
  __m256 a0 = _mm256_setzero_ps();
  __m256 a1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i));
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)));
    a0 = _mm256_fmadd_ps(lo, _mm256_loadu_ps(w + i), a0);
    a1 = _mm256_fmadd_ps(hi, _mm256_loadu_ps(w + i + 8), a1);
  }
  const __m256 a = _mm256_add_ps(a0, a1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s) + dot_scalar(w + i, c + i, n - i);
}

// GCC 12's AVX-512 intrinsics start from _mm512_undefined values, which -Wuninitialized
// reports wrongly under a target attribute (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // GCC's own group; clang (the fuzz build) does not know it
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f"))) float dot_avx512(const float* w, const std::uint8_t* c,
                                                    std::size_t n) {
  __m512 a0 = _mm512_setzero_ps();
  __m512 a1 = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i));
    const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i + 16));
    a0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b0)), _mm512_loadu_ps(w + i), a0);
    a1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b1)), _mm512_loadu_ps(w + i + 16),
                         a1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) + dot_scalar(w + i, c + i, n - i);
}
#pragma GCC diagnostic pop

std::vector<CodeDotKernel> runnable_kernels() {
  __builtin_cpu_init();
  std::vector<CodeDotKernel> out;
  if (__builtin_cpu_supports("avx512f")) out.push_back({"avx512", dot_avx512});
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    out.push_back({"avx2", dot_avx2});
  }
  out.push_back({"scalar", dot_scalar});
  return out;
}

const auto kDot = runnable_kernels().front().dot;

}  // namespace

CodeWeights code_weights(std::span<const float> query, std::span<const float> vmin,
                         std::span<const float> vdiff) {
  CodeWeights out;
  out.weight.resize(query.size());
  double offset = 0;
  for (std::size_t i = 0; i < query.size(); ++i) {
    out.weight[i] = query[i] * vdiff[i] / 255.0f;
    offset += static_cast<double>(query[i]) * (vmin[i] + vdiff[i] / 510.0f);
  }
  out.offset = static_cast<float>(offset);
  return out;
}

float code_dot(const std::vector<float>& weight, const std::uint8_t* codes) {
  return kDot(weight.data(), codes, weight.size());
}

std::vector<CodeDotKernel> code_dot_kernels() { return runnable_kernels(); }

}  // namespace rag::retrieval
