// Panel packing helpers. The AVX2 versions move 8x8 blocks through registers (a transposing copy
// costs about a quarter of a cycle per value instead of one strided load each); the portable
// versions are plain loops. AVX-512 machines use the AVX2 versions.
#include <cstring>

#include "gemm.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

void transposeScalar(float* dst, int64_t dstStride, const float* src, int64_t ld, int rows, int64_t kc) {
  for (int64_t k = 0; k < kc; k++) {
    float* d = dst + k * dstStride;
    for (int r = 0; r < rows; r++) d[r] = src[r * ld + k];
    for (int64_t r = rows; r < dstStride; r++) d[r] = 0.0f;
  }
}

#if STRIDE_X86
STRIDE_TARGET_AVX2 inline __m256i laneMask(int n) {
  // Lanes [0, n) set.
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

STRIDE_TARGET_AVX2 void transposeAvx2(float* dst, int64_t dstStride, const float* src, int64_t ld, int rows,
                                      int64_t kc) {
  const int64_t k8 = kc & ~static_cast<int64_t>(7);
  for (int64_t r0 = 0; r0 < dstStride; r0 += 8) {
    const int width = static_cast<int>(dstStride - r0 < 8 ? dstStride - r0 : 8);
    const __m256i storeMask = laneMask(width);
    const float* s = src + r0 * ld;
    const int valid = rows - static_cast<int>(r0);  // rows of this group that exist in src
    for (int64_t k = 0; k < k8; k += 8) {
      __m256 v0 = valid > 0 ? _mm256_loadu_ps(s + 0 * ld + k) : _mm256_setzero_ps();
      __m256 v1 = valid > 1 ? _mm256_loadu_ps(s + 1 * ld + k) : _mm256_setzero_ps();
      __m256 v2 = valid > 2 ? _mm256_loadu_ps(s + 2 * ld + k) : _mm256_setzero_ps();
      __m256 v3 = valid > 3 ? _mm256_loadu_ps(s + 3 * ld + k) : _mm256_setzero_ps();
      __m256 v4 = valid > 4 ? _mm256_loadu_ps(s + 4 * ld + k) : _mm256_setzero_ps();
      __m256 v5 = valid > 5 ? _mm256_loadu_ps(s + 5 * ld + k) : _mm256_setzero_ps();
      __m256 v6 = valid > 6 ? _mm256_loadu_ps(s + 6 * ld + k) : _mm256_setzero_ps();
      __m256 v7 = valid > 7 ? _mm256_loadu_ps(s + 7 * ld + k) : _mm256_setzero_ps();
      const __m256 t0 = _mm256_unpacklo_ps(v0, v1), t1 = _mm256_unpackhi_ps(v0, v1);
      const __m256 t2 = _mm256_unpacklo_ps(v2, v3), t3 = _mm256_unpackhi_ps(v2, v3);
      const __m256 t4 = _mm256_unpacklo_ps(v4, v5), t5 = _mm256_unpackhi_ps(v4, v5);
      const __m256 t6 = _mm256_unpacklo_ps(v6, v7), t7 = _mm256_unpackhi_ps(v6, v7);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      v0 = _mm256_permute2f128_ps(u0, u4, 0x20);
      v1 = _mm256_permute2f128_ps(u1, u5, 0x20);
      v2 = _mm256_permute2f128_ps(u2, u6, 0x20);
      v3 = _mm256_permute2f128_ps(u3, u7, 0x20);
      v4 = _mm256_permute2f128_ps(u0, u4, 0x31);
      v5 = _mm256_permute2f128_ps(u1, u5, 0x31);
      v6 = _mm256_permute2f128_ps(u2, u6, 0x31);
      v7 = _mm256_permute2f128_ps(u3, u7, 0x31);
      float* d = dst + k * dstStride + r0;
      if (width == 8) {
        _mm256_storeu_ps(d + 0 * dstStride, v0);
        _mm256_storeu_ps(d + 1 * dstStride, v1);
        _mm256_storeu_ps(d + 2 * dstStride, v2);
        _mm256_storeu_ps(d + 3 * dstStride, v3);
        _mm256_storeu_ps(d + 4 * dstStride, v4);
        _mm256_storeu_ps(d + 5 * dstStride, v5);
        _mm256_storeu_ps(d + 6 * dstStride, v6);
        _mm256_storeu_ps(d + 7 * dstStride, v7);
      } else {
        _mm256_maskstore_ps(d + 0 * dstStride, storeMask, v0);
        _mm256_maskstore_ps(d + 1 * dstStride, storeMask, v1);
        _mm256_maskstore_ps(d + 2 * dstStride, storeMask, v2);
        _mm256_maskstore_ps(d + 3 * dstStride, storeMask, v3);
        _mm256_maskstore_ps(d + 4 * dstStride, storeMask, v4);
        _mm256_maskstore_ps(d + 5 * dstStride, storeMask, v5);
        _mm256_maskstore_ps(d + 6 * dstStride, storeMask, v6);
        _mm256_maskstore_ps(d + 7 * dstStride, storeMask, v7);
      }
    }
  }
  if (k8 < kc) transposeScalar(dst + k8 * dstStride, dstStride, src + k8, ld, rows, kc - k8);
}

STRIDE_TARGET_AVX2 void panelAvx2(float* dst, int64_t dstStride, const float* src, int64_t ld, int64_t kc, int nc,
                                  int width) {
  if (nc == width && (width & 7) == 0) {
    for (int64_t k = 0; k < kc; k++) {
      const float* s = src + k * ld;
      float* d = dst + k * dstStride;
      for (int j = 0; j < width; j += 8) _mm256_storeu_ps(d + j, _mm256_loadu_ps(s + j));
    }
    return;
  }
  for (int64_t k = 0; k < kc; k++) {
    const float* s = src + k * ld;
    float* d = dst + k * dstStride;
    int j = 0;
    for (; j + 8 <= nc; j += 8) _mm256_storeu_ps(d + j, _mm256_loadu_ps(s + j));
    for (; j < nc; j++) d[j] = s[j];
    for (; j < width; j++) d[j] = 0.0f;
  }
}

#endif  // STRIDE_X86

}  // namespace

void packTransposed(float* dst, int64_t dstStride, const float* src, int64_t ld, int rows, int64_t kc) {
#if STRIDE_X86
  if (activeIsa() >= Isa::Avx2) return transposeAvx2(dst, dstStride, src, ld, rows, kc);
#endif
  transposeScalar(dst, dstStride, src, ld, rows, kc);
}

void packPanelRows(float* dst, int64_t dstStride, const float* src, int64_t ld, int64_t kc, int nc, int width) {
#if STRIDE_X86
  if (activeIsa() >= Isa::Avx2) return panelAvx2(dst, dstStride, src, ld, kc, nc, width);
#endif
  for (int64_t k = 0; k < kc; k++) {
    float* d = dst + k * dstStride;
    const float* s = src + k * ld;
    for (int j = 0; j < nc; j++) d[j] = s[j];
    for (int j = nc; j < width; j++) d[j] = 0.0f;
  }
}

}  // namespace stride
