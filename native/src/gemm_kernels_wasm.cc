// WebAssembly SIMD128 micro-kernel: up to 6 rows x 8 columns (12 v128 accumulators), B panels 8
// wide. Engines map v128 values onto the host's 16 SSE/NEON registers, so 12 accumulators, two B
// vectors and one broadcast fit without spills (the shape XNNPACK uses for wasm SIMD). SIMD128 has
// no fused multiply-add, so each step is a multiply and an add. Compiled only for wasm32 with
// -msimd128 (scripts/build-wasm.mjs); gemm.cc picks it there in place of the portable kernel.
#include "gemm.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

namespace stride {

namespace {

constexpr int kMr = 6;
constexpr int kNr = 8;

// Full 8-column tile of MR rows, written to c (row stride ldc).
template <int MR>
void tile128(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  v128_t c0a = wasm_f32x4_splat(0), c0b = wasm_f32x4_splat(0);
  v128_t c1a = wasm_f32x4_splat(0), c1b = wasm_f32x4_splat(0);
  v128_t c2a = wasm_f32x4_splat(0), c2b = wasm_f32x4_splat(0);
  v128_t c3a = wasm_f32x4_splat(0), c3b = wasm_f32x4_splat(0);
  v128_t c4a = wasm_f32x4_splat(0), c4b = wasm_f32x4_splat(0);
  v128_t c5a = wasm_f32x4_splat(0), c5b = wasm_f32x4_splat(0);
  for (int64_t k = 0; k < kc; k++) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
#define STRIDE_ROW(r)                                    \
  if constexpr (MR > r) {                                \
    const v128_t av = wasm_v128_load32_splat(a + r);     \
    c##r##a = wasm_f32x4_add(c##r##a, wasm_f32x4_mul(av, b0)); \
    c##r##b = wasm_f32x4_add(c##r##b, wasm_f32x4_mul(av, b1)); \
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
#define STRIDE_STORE(r)                                                  \
  if constexpr (MR > r) {                                                \
    float* cr = c + (r) * ldc;                                           \
    if (accumulate) {                                                    \
      c##r##a = wasm_f32x4_add(c##r##a, wasm_v128_load(cr));             \
      c##r##b = wasm_f32x4_add(c##r##b, wasm_v128_load(cr + 4));         \
    }                                                                    \
    wasm_v128_store(cr, c##r##a);                                        \
    wasm_v128_store(cr + 4, c##r##b);                                    \
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
void rows128(int nr, int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
             bool accumulate) {
  if (nr == kNr) return tile128<MR>(kc, a, b, ldb, c, ldc, accumulate);
  // Partial tile: compute into a scratch tile, then copy the valid columns.
  alignas(16) float tmp[kMr * kNr];
  tile128<MR>(kc, a, b, ldb, tmp, kNr, false);
  for (int r = 0; r < MR; r++) {
    float* cr = c + r * ldc;
    const float* tr = tmp + r * kNr;
    if (accumulate)
      for (int j = 0; j < nr; j++) cr[j] += tr[j];
    else
      for (int j = 0; j < nr; j++) cr[j] = tr[j];
  }
}

void kernel128(int mr, int nr, int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
               bool accumulate) {
  switch (mr) {
    case 6: return rows128<6>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 5: return rows128<5>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 4: return rows128<4>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 3: return rows128<3>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 2: return rows128<2>(nr, kc, a, b, ldb, c, ldc, accumulate);
    default: return rows128<1>(nr, kc, a, b, ldb, c, ldc, accumulate);
  }
}

}  // namespace

MicroKernel microKernelWasmSimd() { return {kMr, kNr, false, kernel128}; }

}  // namespace stride

#endif  // __wasm_simd128__
