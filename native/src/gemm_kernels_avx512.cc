// AVX-512 micro-kernel: up to 12 rows x 32 columns (24 zmm accumulators), B panels 32 wide.
// Accumulators are named locals: GCC 12 spills an array of vector accumulators to the stack.
#include "gemm.h"

#if STRIDE_X86
#include <immintrin.h>

namespace stride {

namespace {

constexpr int kMr = 12;
constexpr int kNr = 32;

// Rows r < MR of the tile; `TWO` = the tile uses both 16-column halves. B row k is at b + k*ldb,
// or with INDIRECT at b + off[k] (a convolution reading its zero-padded input in place). FULL: all
// 16 (or 32 with TWO) columns are valid, so B and C move by plain loads and stores, not masked ones.
template <int MR, bool TWO, bool INDIRECT, bool FULL>
STRIDE_TARGET_AVX512 void tile512(int nr, int64_t kc, const float* a, const float* b, int64_t ldb,
                                  const int64_t* off, float* c, int64_t ldc, bool accumulate) {
  const __mmask16 ma = nr >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << nr) - 1);
  const __mmask16 mb = nr >= 32   ? static_cast<__mmask16>(0xFFFF)
                       : nr > 16 ? static_cast<__mmask16>((1u << (nr - 16)) - 1)
                                 : static_cast<__mmask16>(0);
  __m512 c0a = _mm512_setzero_ps(), c0b = _mm512_setzero_ps();
  __m512 c1a = _mm512_setzero_ps(), c1b = _mm512_setzero_ps();
  __m512 c2a = _mm512_setzero_ps(), c2b = _mm512_setzero_ps();
  __m512 c3a = _mm512_setzero_ps(), c3b = _mm512_setzero_ps();
  __m512 c4a = _mm512_setzero_ps(), c4b = _mm512_setzero_ps();
  __m512 c5a = _mm512_setzero_ps(), c5b = _mm512_setzero_ps();
  __m512 c6a = _mm512_setzero_ps(), c6b = _mm512_setzero_ps();
  __m512 c7a = _mm512_setzero_ps(), c7b = _mm512_setzero_ps();
  __m512 c8a = _mm512_setzero_ps(), c8b = _mm512_setzero_ps();
  __m512 c9a = _mm512_setzero_ps(), c9b = _mm512_setzero_ps();
  __m512 c10a = _mm512_setzero_ps(), c10b = _mm512_setzero_ps();
  __m512 c11a = _mm512_setzero_ps(), c11b = _mm512_setzero_ps();

  // Bring the C tile toward L1 while the k loop runs; it is read (accumulate) and written at the end.
#define STRIDE_PREFETCH_C(r)                                       \
  if constexpr (MR > r) {                                          \
    _mm_prefetch(reinterpret_cast<const char*>(c + (r) * ldc), _MM_HINT_T0);      \
    if constexpr (TWO) _mm_prefetch(reinterpret_cast<const char*>(c + (r) * ldc + 16), _MM_HINT_T0); \
  }
  STRIDE_PREFETCH_C(0)
  STRIDE_PREFETCH_C(1)
  STRIDE_PREFETCH_C(2)
  STRIDE_PREFETCH_C(3)
  STRIDE_PREFETCH_C(4)
  STRIDE_PREFETCH_C(5)
  STRIDE_PREFETCH_C(6)
  STRIDE_PREFETCH_C(7)
  STRIDE_PREFETCH_C(8)
  STRIDE_PREFETCH_C(9)
  STRIDE_PREFETCH_C(10)
  STRIDE_PREFETCH_C(11)
#undef STRIDE_PREFETCH_C

#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    const float* bk = INDIRECT ? b + off[k] : b;
    // The packed A panel is read once per B panel, streaming from L2/L3: fetch it 16 k ahead.
    _mm_prefetch(reinterpret_cast<const char*>(a + 16 * MR), _MM_HINT_T0);
    const __m512 b0 = FULL ? _mm512_loadu_ps(bk) : _mm512_maskz_loadu_ps(ma, bk);
    __m512 b1;
    if constexpr (TWO) b1 = FULL ? _mm512_loadu_ps(bk + 16) : _mm512_maskz_loadu_ps(mb, bk + 16);
#define STRIDE_ROW(r)                                  \
  if constexpr (MR > r) {                              \
    const __m512 av = _mm512_set1_ps(a[r]);            \
    c##r##a = _mm512_fmadd_ps(av, b0, c##r##a);        \
    if constexpr (TWO) c##r##b = _mm512_fmadd_ps(av, b1, c##r##b); \
  }
    STRIDE_ROW(0)
    STRIDE_ROW(1)
    STRIDE_ROW(2)
    STRIDE_ROW(3)
    STRIDE_ROW(4)
    STRIDE_ROW(5)
    STRIDE_ROW(6)
    STRIDE_ROW(7)
    STRIDE_ROW(8)
    STRIDE_ROW(9)
    STRIDE_ROW(10)
    STRIDE_ROW(11)
#undef STRIDE_ROW
    a += MR;
    if constexpr (!INDIRECT) b += ldb;
  }

#define STRIDE_STORE(r)                                                                   \
  if constexpr (MR > r) {                                                                 \
    float* cr = c + (r) * ldc;                                                            \
    if (accumulate) {                                                                     \
      c##r##a = _mm512_add_ps(c##r##a, FULL ? _mm512_loadu_ps(cr) : _mm512_maskz_loadu_ps(ma, cr)); \
      if constexpr (TWO)                                                                  \
        c##r##b = _mm512_add_ps(c##r##b, FULL ? _mm512_loadu_ps(cr + 16) : _mm512_maskz_loadu_ps(mb, cr + 16)); \
    }                                                                                     \
    if constexpr (FULL) {                                                                 \
      _mm512_storeu_ps(cr, c##r##a);                                                      \
      if constexpr (TWO) _mm512_storeu_ps(cr + 16, c##r##b);                              \
    } else {                                                                              \
      _mm512_mask_storeu_ps(cr, ma, c##r##a);                                             \
      if constexpr (TWO) _mm512_mask_storeu_ps(cr + 16, mb, c##r##b);                     \
    }                                                                                     \
  }
  STRIDE_STORE(0)
  STRIDE_STORE(1)
  STRIDE_STORE(2)
  STRIDE_STORE(3)
  STRIDE_STORE(4)
  STRIDE_STORE(5)
  STRIDE_STORE(6)
  STRIDE_STORE(7)
  STRIDE_STORE(8)
  STRIDE_STORE(9)
  STRIDE_STORE(10)
  STRIDE_STORE(11)
#undef STRIDE_STORE
}

template <int MR, bool INDIRECT>
STRIDE_TARGET_AVX512 void rows512(int nr, int64_t kc, const float* a, const float* b, int64_t ldb,
                                  const int64_t* off, float* c, int64_t ldc, bool accumulate) {
  if (nr == 32)
    tile512<MR, true, INDIRECT, true>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
  else if (nr > 16)
    tile512<MR, true, INDIRECT, false>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
  else if (nr == 16)
    tile512<MR, false, INDIRECT, true>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
  else
    tile512<MR, false, INDIRECT, false>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
}

template <bool INDIRECT>
STRIDE_TARGET_AVX512 void dispatch512(int mr, int nr, int64_t kc, const float* a, const float* b, int64_t ldb,
                                      const int64_t* off, float* c, int64_t ldc, bool accumulate) {
  switch (mr) {
    case 12: return rows512<12, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 11: return rows512<11, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 10: return rows512<10, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 9: return rows512<9, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 8: return rows512<8, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 7: return rows512<7, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 6: return rows512<6, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 5: return rows512<5, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 4: return rows512<4, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 3: return rows512<3, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    case 2: return rows512<2, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
    default: return rows512<1, INDIRECT>(nr, kc, a, b, ldb, off, c, ldc, accumulate);
  }
}

STRIDE_TARGET_AVX512 void kernel512(int mr, int nr, int64_t kc, const float* a, const float* b, int64_t ldb,
                                    float* c, int64_t ldc, bool accumulate) {
  dispatch512<false>(mr, nr, kc, a, b, ldb, nullptr, c, ldc, accumulate);
}

STRIDE_TARGET_AVX512 void indirect512(int mr, int nr, int64_t kc, const float* a, const float* base,
                                      const int64_t* off, float* c, int64_t ldc, bool accumulate) {
  dispatch512<true>(mr, nr, kc, a, base, 0, off, c, ldc, accumulate);
}

}  // namespace

MicroKernel microKernelAvx512() { return {kMr, kNr, true, kernel512}; }

IndirectKernelFn indirectKernelAvx512() { return indirect512; }

}  // namespace stride

#else  // not x86: the portable kernel stands in

namespace stride {
MicroKernel microKernelAvx512() { return microKernelScalar(); }
IndirectKernelFn indirectKernelAvx512() { return nullptr; }
}  // namespace stride

#endif
