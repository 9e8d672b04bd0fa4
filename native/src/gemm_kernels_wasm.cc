// WebAssembly SIMD128 micro-kernel: up to 4 rows x 8 columns (8 v128 accumulators), B panels 8
// wide. SIMD128 has no fused multiply-add, so each step is a multiply into a temporary and an add.
// Engines map v128 values onto the host's SSE/NEON registers; V8 on x86-64 keeps one of the 16 as
// its scratch register, so the 6-row tile (12 accumulators, two B vectors, one broadcast and the
// product: 16) spilled. Measured in Node on ResNet-18's convolutions (1 thread, side by side in one
// process): 4 rows ran 1.3-1.6x as fast as 6 on the Winograd and strided layers, and 5 rows
// 0.65-0.95x as fast as 4. Compiled only for wasm32 with -msimd128 (scripts/build-wasm.mjs);
// gemm.cc picks it there in place of the portable kernel.
#include "gemm.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

namespace stride {

namespace {

constexpr int kMr = 4;
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
    case 4: return rows128<4>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 3: return rows128<3>(nr, kc, a, b, ldb, c, ldc, accumulate);
    case 2: return rows128<2>(nr, kc, a, b, ldb, c, ldc, accumulate);
    default: return rows128<1>(nr, kc, a, b, ldb, c, ldc, accumulate);
  }
}

// Lanes [0, n) of p (n in 1..4) and zeros above, reading nothing past p[n - 1].
inline v128_t loadPartial(const float* p, int n) {
  switch (n) {
    case 1: return wasm_v128_load32_zero(p);
    case 2: return wasm_v128_load64_zero(p);
    case 3: return wasm_v128_load32_lane(p + 2, wasm_v128_load64_zero(p), 2);
    default: return wasm_v128_load(p);
  }
}

// One indirect tile: MR rows by up to 8 columns (nr of them); B row k starts at base + off[k]
// (consecutive output pixels at consecutive addresses). A partial tile (nr < 8) reads only its
// nr columns of each B row (the last tile of an image may end at its buffer's end) and is written
// through a scratch tile.
template <int MR, bool Full>
void indirectTile128(int64_t kc, const float* a, const float* base, const int64_t* off, int nr, float* c,
                     int64_t ldc, bool accumulate) {
  v128_t c0a = wasm_f32x4_splat(0), c0b = wasm_f32x4_splat(0);
  v128_t c1a = wasm_f32x4_splat(0), c1b = wasm_f32x4_splat(0);
  v128_t c2a = wasm_f32x4_splat(0), c2b = wasm_f32x4_splat(0);
  v128_t c3a = wasm_f32x4_splat(0), c3b = wasm_f32x4_splat(0);
  v128_t c4a = wasm_f32x4_splat(0), c4b = wasm_f32x4_splat(0);
  v128_t c5a = wasm_f32x4_splat(0), c5b = wasm_f32x4_splat(0);
  for (int64_t k = 0; k < kc; k++) {
    const float* b = base + off[k];
    v128_t b0, b1;
    if constexpr (Full) {
      b0 = wasm_v128_load(b);
      b1 = wasm_v128_load(b + 4);
    } else {
      b0 = loadPartial(b, nr < 4 ? nr : 4);
      b1 = nr > 4 ? loadPartial(b + 4, nr - 4) : wasm_f32x4_splat(0);
    }
#define STRIDE_ROW(r)                                          \
  if constexpr (MR > r) {                                      \
    const v128_t av = wasm_v128_load32_splat(a + r);           \
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
  }
  alignas(16) float tmp[kMr * kNr];
#define STRIDE_STORE(r)                                                \
  if constexpr (MR > r) {                                              \
    if constexpr (Full) {                                              \
      float* cr = c + (r) * ldc;                                       \
      if (accumulate) {                                                \
        c##r##a = wasm_f32x4_add(c##r##a, wasm_v128_load(cr));         \
        c##r##b = wasm_f32x4_add(c##r##b, wasm_v128_load(cr + 4));     \
      }                                                                \
      wasm_v128_store(cr, c##r##a);                                    \
      wasm_v128_store(cr + 4, c##r##b);                                \
    } else {                                                           \
      wasm_v128_store(tmp + (r) * kNr, c##r##a);                       \
      wasm_v128_store(tmp + (r) * kNr + 4, c##r##b);                   \
    }                                                                  \
  }
  STRIDE_STORE(0)
  STRIDE_STORE(1)
  STRIDE_STORE(2)
  STRIDE_STORE(3)
  STRIDE_STORE(4)
  STRIDE_STORE(5)
#undef STRIDE_STORE
  if constexpr (!Full) {
    for (int r = 0; r < MR; r++) {
      float* cr = c + r * ldc;
      const float* tr = tmp + r * kNr;
      if (accumulate)
        for (int j = 0; j < nr; j++) cr[j] += tr[j];
      else
        for (int j = 0; j < nr; j++) cr[j] = tr[j];
    }
  }
}

template <int MR>
void indirectRows128(int nr, int64_t kc, const float* a, const float* base, const int64_t* off, float* c,
                     int64_t ldc, bool accumulate) {
  for (int j0 = 0; j0 < nr; j0 += kNr) {
    const int n = nr - j0 < kNr ? nr - j0 : kNr;
    if (n == kNr)
      indirectTile128<MR, true>(kc, a, base + j0, off, n, c + j0, ldc, accumulate);
    else
      indirectTile128<MR, false>(kc, a, base + j0, off, n, c + j0, ldc, accumulate);
  }
}

// The indirect kernel (gemm.h: IndirectKernelFn): rows up to kMr, columns up to 32 in tiles of 8.
void indirect128(int mr, int nr, int64_t kc, const float* a, const float* base, const int64_t* off, float* c,
                 int64_t ldc, bool accumulate) {
  switch (mr) {
    case 4: return indirectRows128<4>(nr, kc, a, base, off, c, ldc, accumulate);
    case 3: return indirectRows128<3>(nr, kc, a, base, off, c, ldc, accumulate);
    case 2: return indirectRows128<2>(nr, kc, a, base, off, c, ldc, accumulate);
    default: return indirectRows128<1>(nr, kc, a, base, off, c, ldc, accumulate);
  }
}

}  // namespace

MicroKernel microKernelWasmSimd() { return {kMr, kNr, false, kernel128}; }

IndirectKernelFn indirectKernelWasmSimd() { return indirect128; }

}  // namespace stride

#endif  // __wasm_simd128__
