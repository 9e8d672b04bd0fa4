// C = A·Bᵀ for a few rows of A against a row-major B [N x K]: a fully connected layer at small batch
// (x·Wᵀ, W in PyTorch's [out, in] layout). The packed GEMM would copy all of B into transposed
// panels first, which at M <= 8 costs more than the products: each B value is used M times. Here
// every output C[i, j] is a dot product of row i of A with row j of B, so B is read once, in place
// and contiguously (the hardware prefetchers stream it), and the threads take contiguous ranges of
// B's rows (halves of the outputs on two threads). Each output is summed by one task in a fixed
// order, so the results do not depend on the thread count.
#include <algorithm>

#include "gemm.h"
#include "thread_pool.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

// Rows of B a task reads at once (the dot products of one call): with MR rows of A, MR * R
// accumulators. One row of A streams eight rows of B (eight accumulators cover the FMA latency);
// more rows of A share fewer rows of B so that all accumulators stay in registers.
constexpr int rowsOfB(int mr) { return mr == 1 ? 8 : mr <= 4 ? 4 : 2; }

// A task's rows of B come in multiples of this (the largest rowsOfB), so only the last range
// has a ragged end.
constexpr int64_t kRowAlign = 8;

// B's elements (n * k) from which both halves of the outputs go to separate threads: below about
// 64K values (256 KiB) waking a helper costs more than it saves.
constexpr int64_t kParallelElements = 1 << 16;

using DotsFn = void (*)(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                        bool accumulate);

// ----- Portable: eight independent partial sums per dot product (vectorizable without
// reassociating, as wasm SIMD128 and SSE2 do it) -----

template <int MR, int R>
void dotsPortable(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                  bool accumulate) {
  constexpr int L = 8;
  float acc[MR][R][L] = {};
  const int64_t k8 = k - k % L;
  for (int64_t p = 0; p < k8; p += L) {
    for (int i = 0; i < MR; i++) {
      const float* x = a + i * lda + p;
      for (int r = 0; r < R; r++) {
        const float* w = b + r * ldb + p;
        for (int l = 0; l < L; l++) acc[i][r][l] += x[l] * w[l];
      }
    }
  }
  for (int i = 0; i < MR; i++) {
    for (int r = 0; r < R; r++) {
      float s = 0.0f;
      for (int l = 0; l < L; l++) s += acc[i][r][l];
      for (int64_t p = k8; p < k; p++) s += a[i * lda + p] * b[r * ldb + p];
      float* dst = c + i * ldc + r;
      *dst = accumulate ? *dst + s : s;
    }
  }
}

#if STRIDE_X86

// ----- AVX2: 8 lanes per accumulator -----

template <int MR, int R>
STRIDE_TARGET_AVX2 void dotsAvx2(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                                 int64_t ldc, bool accumulate) {
  __m256 acc[MR][R];
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) acc[i][r] = _mm256_setzero_ps();
  const int64_t k8 = k - k % 8;
  for (int64_t p = 0; p < k8; p += 8) {
    __m256 w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) w[r] = _mm256_loadu_ps(b + r * ldb + p);
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
      const __m256 x = _mm256_loadu_ps(a + i * lda + p);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) acc[i][r] = _mm256_fmadd_ps(x, w[r], acc[i][r]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc[i][r]), _mm256_extractf128_ps(acc[i][r], 1));
      const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
      float s = _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
      for (int64_t p = k8; p < k; p++) s += a[i * lda + p] * b[r * ldb + p];
      float* dst = c + i * ldc + r;
      *dst = accumulate ? *dst + s : s;
    }
  }
}

// ----- AVX-512: 16 lanes per accumulator, the ragged end of K through masked loads -----

template <int MR, int R>
STRIDE_TARGET_AVX512 void dotsAvx512(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                                     int64_t ldc, bool accumulate) {
  __m512 acc[MR][R];
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) acc[i][r] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; p += 16) {
    const __mmask16 m = k - p >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (k - p)) - 1);
    __m512 w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) w[r] = _mm512_maskz_loadu_ps(m, b + r * ldb + p);
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
      const __m512 x = _mm512_maskz_loadu_ps(m, a + i * lda + p);
#pragma GCC unroll 8
      for (int r = 0; r < R; r++) acc[i][r] = _mm512_fmadd_ps(x, w[r], acc[i][r]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const float s = _mm512_reduce_add_ps(acc[i][r]);
      float* dst = c + i * ldc + r;
      *dst = accumulate ? *dst + s : s;
    }
  }
}

#endif  // STRIDE_X86

/** The kernel of the active instruction set for MR rows of A against R rows of B. */
template <int MR, int R>
DotsFn dotsFor(Isa isa) {
#if STRIDE_X86
  if (isa == Isa::Avx512) return dotsAvx512<MR, R>;
  if (isa == Isa::Avx2) return dotsAvx2<MR, R>;
#endif
  (void)isa;
  return dotsPortable<MR, R>;
}

/** C rows of A (MR of them) against B rows [j0, j1): groups of rowsOfB(MR), then single rows. */
template <int MR>
void rowsRange(Isa isa, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
               bool accumulate, int64_t j0, int64_t j1) {
  constexpr int R = rowsOfB(MR);
  const DotsFn group = dotsFor<MR, R>(isa);
  const DotsFn single = dotsFor<MR, 1>(isa);
  int64_t j = j0;
  for (; j + R <= j1; j += R) group(k, a, lda, b + j * ldb, ldb, c + j, ldc, accumulate);
  for (; j < j1; j++) single(k, a, lda, b + j * ldb, ldb, c + j, ldc, accumulate);
}

void rowsRangeFor(int mr, Isa isa, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                  int64_t ldc, bool accumulate, int64_t j0, int64_t j1) {
  switch (mr) {
    case 1: return rowsRange<1>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
    case 2: return rowsRange<2>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
    case 3: return rowsRange<3>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
    case 4: return rowsRange<4>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
    case 5: return rowsRange<5>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
    case 6: return rowsRange<6>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
    case 7: return rowsRange<7>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
    default: return rowsRange<8>(isa, k, a, lda, b, ldb, c, ldc, accumulate, j0, j1);
  }
}

}  // namespace

void gemmFewRowsTransB(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                       float* c, int64_t ldc, bool accumulate, int maxThreads) {
  if (m <= 0 || n <= 0) return;
  const Isa isa = activeIsa();
  const int threads = n * k >= kParallelElements ? std::max(1, maxThreads) : 1;
  // One contiguous range of B's rows per thread, a multiple of kRowAlign rows each.
  const int64_t aligned = (n + kRowAlign - 1) / kRowAlign;
  const int64_t perTask = ((aligned + threads - 1) / threads) * kRowAlign;
  const int64_t tasks = (n + perTask - 1) / perTask;
  ThreadPool::instance().parallelFor(tasks, threads, [&](int64_t t) {
    const int64_t j0 = t * perTask, j1 = std::min(n, j0 + perTask);
    // Rows of A beyond kFewRows (callers keep m within it) would go in further passes.
    for (int64_t i = 0; i < m; i += kFewRows) {
      const int mr = static_cast<int>(std::min<int64_t>(kFewRows, m - i));
      rowsRangeFor(mr, isa, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate, j0, j1);
    }
  });
}

void denseGemm(int64_t m, int64_t n, int64_t k, const float* a, bool transA, const float* b, bool transB, float* c,
               bool accumulate, int maxThreads) {
  if (!transA && transB && m <= kFewRows && k > 0) {
    gemmFewRowsTransB(m, n, k, a, k, b, k, c, n, accumulate, maxThreads);
    return;
  }
  DenseA da(a, transA ? m : k, transA);
  DenseB db(b, transB ? k : n, transB);
  gemm({m, n, k, &da, &db, CLayout{c, n, n, 0}, accumulate}, maxThreads);
}

}  // namespace stride
