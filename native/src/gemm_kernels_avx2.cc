// AVX2/FMA micro-kernel: up to 6 rows x 16 columns (12 ymm accumulators), B panels 16 wide.
// Accumulators are named locals: GCC 12 spills an array of vector accumulators to the stack.
#include "gemm.h"

#if STRIDE_X86
#include <immintrin.h>

namespace stride {

namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

// Full 16-column tile of MR rows, written to c (row stride ldc).
template <int MR>
STRIDE_TARGET_AVX2 void tile256(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                                int64_t ldc, bool accumulate) {
  __m256 c0a = _mm256_setzero_ps(), c0b = _mm256_setzero_ps();
  __m256 c1a = _mm256_setzero_ps(), c1b = _mm256_setzero_ps();
  __m256 c2a = _mm256_setzero_ps(), c2b = _mm256_setzero_ps();
  __m256 c3a = _mm256_setzero_ps(), c3b = _mm256_setzero_ps();
  __m256 c4a = _mm256_setzero_ps(), c4b = _mm256_setzero_ps();
  __m256 c5a = _mm256_setzero_ps(), c5b = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#define STRIDE_ROW(r)                               \
  if constexpr (MR > r) {                           \
    const __m256 av = _mm256_broadcast_ss(a + r);   \
    c##r##a = _mm256_fmadd_ps(av, b0, c##r##a);     \
    c##r##b = _mm256_fmadd_ps(av, b1, c##r##b);     \
  }
    STRIDE_ROW(0)
    STRIDE_ROW(1)
    STRIDE_ROW(2)
    STRIDE_ROW(3)
    STRIDE_ROW(4)
    STRIDE_ROW(5)
#undef STRIDE_ROW
    a += MR;
    b += ldb;
  }
#define STRIDE_STORE(r)                                                       \
  if constexpr (MR > r) {                                                     \
    float* cr = c + (r) * ldc;                                                \
    if (accumulate) {                                                         \
      c##r##a = _mm256_add_ps(c##r##a, _mm256_loadu_ps(cr));                  \
      c##r##b = _mm256_add_ps(c##r##b, _mm256_loadu_ps(cr + 8));              \
    }                                                                         \
    _mm256_storeu_ps(cr, c##r##a);                                            \
    _mm256_storeu_ps(cr + 8, c##r##b);                                        \
  }
  STRIDE_STORE(0)
  STRIDE_STORE(1)
  STRIDE_STORE(2)
  STRIDE_STORE(3)
  STRIDE_STORE(4)
  STRIDE_STORE(5)
#undef STRIDE_STORE
}

template <int MR>
STRIDE_TARGET_AVX2 void rows256(int nr, int64_t kc, const float* a, const float* b, int64_t ldb,
                                float* c, int64_t ldc, bool accumulate) {
  if (nr == kNr) return tile256<MR>(kc, a, b, ldb, c, ldc, accumulate);
  // Partial tile: compute into a scratch tile, then copy the valid columns.
  alignas(32) float tmp[kMr * kNr];
  tile256<MR>(kc, a, b, ldb, tmp, kNr, false);
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    const float* tr = tmp + r * kNr;
    if (accumulate)
      for (int j = 0; j < nr; j++) cr[j] += tr[j];
    else
      for (int j = 0; j < nr; j++) cr[j] = tr[j];
  }
}

STRIDE_TARGET_AVX2 void kernel256(int mr, int nr, int64_t kc, const float* a, const float* b,
                                  int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  switch (mr) {
    case 6: return rows256<6>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 5: return rows256<5>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 4: return rows256<4>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 3: return rows256<3>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 2: return rows256<2>(nr, kc, a, b, ldb, c, ldc, accumulate);
    default: return rows256<1>(nr, kc, a, b, ldb, c, ldc, accumulate);
  }
}

}  // namespace

MicroKernel microKernelAvx2() { return {kMr, kNr, false, kernel256}; }

}  // namespace stride

#else  // not x86: the portable kernel stands in

namespace stride {
MicroKernel microKernelAvx2() { return microKernelScalar(); }
}  // namespace stride

#endif
