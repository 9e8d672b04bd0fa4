// Depthwise convolution kernels (see depthwise.h): each output plane reads one input plane.
//
// 3x3 and 5x5 kernels with stride 1 or 2 and no dilation take a direct path: a band of output
// rows copies the input rows it reads into a zero-bordered buffer (any padding), the columns of a
// stride-2 row split into even and odd halves so every tap reads contiguous floats; then each
// output row is one loop over its columns, vectorized (AVX-512, AVX2, SIMD128), with all K*K taps
// unrolled, bias first and the clamp of a fused ReLU/ReLU6 last. No per-pixel border checks: the
// border lives in the buffer. The input gradient runs through the same loop (dy spread by the
// stride into the buffer, weights flipped), and the filter gradient takes one vectorized dot
// product per tap and row over the same buffer. Other shapes (dilation, other sizes or strides)
// keep the general per-plane loops.
//
// On AVX-512 the forward of the direct shapes copies nothing (see "AVX-512 forward" below): masked
// loads read the input in place with the padding zeroed, stride 2 deinterleaves with permutes,
// planes up to 8 wide put two output rows in a vector, and 3x3 'same' kernels (MobileNet's) build
// each tap's view by lane rotation. For 3x3 with padding 1 the views of each input row are built
// once for the whole plane and added into every output row that reads them: rows of up to 16
// outputs (14x14 stride 1, 28x28 stride 2), strips of 32 output columns on rows of 17 to 64
// (28x28 and 56x56 stride 1, 56x56 and 112x112 stride 2), and planes up to 7 wide at stride 1
// with two whole rows to a vector (7x7); stride 2 on inputs up to 16 wide (14x14) splits each pair
// of input rows into even and odd columns once per kernel row. AVX2, scalar and WebAssembly keep
// the band buffer above.
#include "depthwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "multiversion.h"
#include "thread_pool.h"
#include "workspace.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

// ----- General path: any kernel size, stride, padding and dilation -----

// One output plane: y = bias + sum over the window of w * x.
STRIDE_INLINE void depthwisePlaneImpl(const ConvGeometry* gp, const float* x, const float* w, float bias, float* y) {
  const ConvGeometry& g = *gp;
  for (int64_t oy = 0; oy < g.outH; oy++) {
    float* yr = y + oy * g.outW;
    for (int64_t ox = 0; ox < g.outW; ox++) yr[ox] = bias;
    for (int64_t ky = 0; ky < g.kH; ky++) {
      const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
      if (iy < 0 || iy >= g.inH) continue;
      const float* xr = x + iy * g.inW;
      for (int64_t kx = 0; kx < g.kW; kx++) {
        const float wv = w[ky * g.kW + kx];
        const int64_t off = kx * g.dilationW - g.padLeft;
        // Valid ox: 0 <= ox*sw + off < inW.
        int64_t lo = off >= 0 ? 0 : (-off + g.strideW - 1) / g.strideW;
        int64_t hi = g.inW - off <= 0 ? 0 : (g.inW - off + g.strideW - 1) / g.strideW;
        hi = std::min(hi, g.outW);
        if (g.strideW == 1) {
          const float* xs = xr + off;
          for (int64_t ox = lo; ox < hi; ox++) yr[ox] += wv * xs[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ox++) yr[ox] += wv * xr[ox * g.strideW + off];
        }
      }
    }
  }
}
STRIDE_MULTIVERSION(depthwisePlane, depthwisePlaneImpl)

// One input-gradient plane: dx += w * dy scattered over each window (dx zeroed here first).
STRIDE_INLINE void depthwiseDataPlaneImpl(const ConvGeometry* gp, const float* dy, const float* w, float* dx) {
  const ConvGeometry& g = *gp;
  std::memset(dx, 0, g.inH * g.inW * sizeof(float));
  for (int64_t oy = 0; oy < g.outH; oy++) {
    const float* dyr = dy + oy * g.outW;
    for (int64_t ky = 0; ky < g.kH; ky++) {
      const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
      if (iy < 0 || iy >= g.inH) continue;
      float* dxr = dx + iy * g.inW;
      for (int64_t kx = 0; kx < g.kW; kx++) {
        const float wv = w[ky * g.kW + kx];
        const int64_t off = kx * g.dilationW - g.padLeft;
        int64_t lo = off >= 0 ? 0 : (-off + g.strideW - 1) / g.strideW;
        int64_t hi = g.inW - off <= 0 ? 0 : (g.inW - off + g.strideW - 1) / g.strideW;
        hi = std::min(hi, g.outW);
        if (g.strideW == 1) {
          float* ds = dxr + off;
          for (int64_t ox = lo; ox < hi; ox++) ds[ox] += wv * dyr[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ox++) dxr[ox * g.strideW + off] += wv * dyr[ox];
        }
      }
    }
  }
}
STRIDE_MULTIVERSION(depthwiseDataPlane, depthwiseDataPlaneImpl)

// Weight gradient of one channel summed over the batch: dw[ky, kx] = sum of dy * x over windows.
// Accumulates in double: a kernel tap sums batch * outH * outW products.
STRIDE_INLINE void depthwiseFilterChannelImpl(const ConvGeometry* gp, const float* x, const float* dy, int64_t c,
                                              float* dw) {
  const ConvGeometry& g = *gp;
  const int64_t plane = g.inH * g.inW, outPlane = g.outH * g.outW;
  for (int64_t ky = 0; ky < g.kH; ky++) {
    for (int64_t kx = 0; kx < g.kW; kx++) {
      const int64_t off = kx * g.dilationW - g.padLeft;
      int64_t lo = off >= 0 ? 0 : (-off + g.strideW - 1) / g.strideW;
      int64_t hi = g.inW - off <= 0 ? 0 : (g.inW - off + g.strideW - 1) / g.strideW;
      hi = std::min(hi, g.outW);
      double total = 0.0;
      for (int64_t n = 0; n < g.batch; n++) {
        const float* xp = x + (n * g.inChannels + c) * plane;
        const float* dyp = dy + (n * g.outChannels + c) * outPlane;
        for (int64_t oy = 0; oy < g.outH; oy++) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          if (iy < 0 || iy >= g.inH) continue;
          const float* xr = xp + iy * g.inW;
          const float* dyr = dyp + oy * g.outW;
          float s = 0.0f;
          if (g.strideW == 1) {
            const float* xs = xr + off;
            for (int64_t ox = lo; ox < hi; ox++) s += dyr[ox] * xs[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ox++) s += dyr[ox] * xr[ox * g.strideW + off];
          }
          total += s;
        }
      }
      dw[ky * g.kW + kx] = static_cast<float>(total);
    }
  }
}
STRIDE_MULTIVERSION(depthwiseFilterChannel, depthwiseFilterChannelImpl)

// ----- Direct path: K x K (3 or 5), stride S (1 or 2), no dilation -----

// A source plane read through a zero border: padded pixel (r, c) is source pixel
// ((r - padT) / up, (c - padL) / up) where both divide evenly and fall inside, zero elsewhere
// (up > 1 spreads dy by the stride for the input gradient). Output (oy, ox) reads padded pixels
// (oy*S + ky, ox*S + kx). A band of output rows [oy0, oy0 + rows) copies the padded rows it reads
// into S*S sub-planes, one per (r % S, c % S), pixel (r, c) at row r / S - oy0 and column c / S of
// `ld` floats a row. Tap (ky, kx) of output (oy, ox) is then element
// (oy - oy0 + ky / S) * ld + ox + kx / S of sub-plane (ky % S, kx % S): for every tap, the band's
// outputs read one contiguous run of floats (columns [outW, ld) of each row are computed and
// dropped), so small planes vectorize as well as large ones.
struct DirectPlan {
  int64_t k, s, up, padT, padL, srcH, srcW, outH, outW;
  int64_t ld;  // floats per sub-plane row: padded columns [0, (outW - 1) * s + k) split s ways

  DirectPlan(int64_t k_, int64_t s_, int64_t up_, int64_t padT_, int64_t padL_, int64_t srcH_, int64_t srcW_,
             int64_t outH_, int64_t outW_)
      : k(k_), s(s_), up(up_), padT(padT_), padL(padL_), srcH(srcH_), srcW(srcW_), outH(outH_), outW(outW_) {
    ld = ((outW - 1) * s + k + s - 1) / s;
  }
  /**
   * Rows of each sub-plane for a band of `rows` output rows: the taps' reach, plus one row that
   * the dropped columns of the last row read into.
   */
  int64_t subRows(int64_t rows) const { return rows + (k - 1) / s + 1; }
  /** Floats of one sub-plane. */
  int64_t subFloats(int64_t rows) const { return subRows(rows) * ld; }
  /** The sub-planes, then room for one padded row (s * ld floats). */
  size_t bufferFloats(int64_t rows) const { return static_cast<size_t>(s * s * subFloats(rows) + s * ld); }
};

// The sub-planes of the band of output rows [oy0, oy0 + rows) of source plane src, into buf.
// With `bordersZero`, buf already holds this band's layout from another plane (the zeros are the
// same for every plane), so only the source pixels are copied: small planes pay no per-row
// zeroing.
template <int S>
STRIDE_INLINE void fillBand(const DirectPlan& p, const float* src, int64_t oy0, int64_t rows, float* buf,
                            bool bordersZero) {
  const int64_t ld = p.ld, sub = p.subFloats(rows), nRows = p.subRows(rows);
  float* stage = buf + S * S * sub;  // one padded row before a stride-2 split (its zeros stay)
  if (S == 2 && !bordersZero) std::memset(stage, 0, S * ld * sizeof(float));
  for (int rb = 0; rb < S; rb++)
    for (int64_t i = 0; i < nRows; i++) {
      const int64_t sy = (oy0 + i) * S + rb - p.padT;
      const bool inside = sy >= 0 && sy % p.up == 0 && sy / p.up < p.srcH;
      const float* srow = src + (sy / p.up) * p.srcW;
      float* dst = buf + rb * S * sub + i * ld;  // sub-plane (rb, pc) is dst + pc * sub
      if (!inside) {
        if (!bordersZero)
          for (int pc = 0; pc < S; pc++) std::memset(dst + pc * sub, 0, ld * sizeof(float));
        continue;
      }
      if (p.up > 1) {  // S is 1 here: source column sx lands on padded column padL + sx * up
        if (!bordersZero) std::memset(dst, 0, ld * sizeof(float));
        const int64_t sxEnd = std::min(p.srcW, p.padL >= ld ? 0 : (ld - p.padL + p.up - 1) / p.up);
        for (int64_t sx = 0; sx < sxEnd; sx++) dst[p.padL + sx * p.up] = srow[sx];
        continue;
      }
      // Padded columns [0, S*ld): zeros, the source row from padL on, zeros.
      float* row = S == 1 ? dst : stage;
      const int64_t width = S * ld, lead = std::min(p.padL, width);
      const int64_t count = std::clamp<int64_t>(width - lead, 0, p.srcW);
      if (S == 1 && !bordersZero) {
        std::memset(row, 0, lead * sizeof(float));
        std::memset(row + lead + count, 0, (width - lead - count) * sizeof(float));
      }
      std::memcpy(row + lead, srow, count * sizeof(float));
      if (S == 2) {  // even columns to sub-plane (rb, 0), odd ones to (rb, 1), in one pass
        float* odd = dst + sub;
        for (int64_t q = 0; q < ld; q++) {
          dst[q] = stage[2 * q];
          odd[q] = stage[2 * q + 1];
        }
      }
    }
}

// The K*K tap pointers of a filled band, `off` floats into each run.
template <int K, int S>
STRIDE_INLINE void tapPointers(const DirectPlan& p, const float* buf, int64_t sub, int64_t off, const float** taps) {
  for (int ky = 0; ky < K; ky++)
    for (int kx = 0; kx < K; kx++)
      taps[ky * K + kx] = buf + ((ky % S) * S + kx % S) * sub + (ky / S) * p.ld + kx / S + off;
}

// out[j] = clamp(b + sum over taps of w[t] * taps[t][j], lo, hi) for j in [0, n): the vector
// loop of the direct path, all taps unrolled.
template <int K>
STRIDE_INLINE void tapSums(const float* const* tp, const float* w, float b, float lo, float hi, int64_t n,
                           float* __restrict out) {
  const float* taps[K * K];
  float wt[K * K];
  for (int t = 0; t < K * K; t++) {
    taps[t] = tp[t];
    wt[t] = w[t];
  }
#pragma omp simd
  for (int64_t j = 0; j < n; j++) {
    float acc = b;
#pragma GCC unroll 25
    for (int t = 0; t < K * K; t++) acc += wt[t] * taps[t][j];
    out[j] = std::min(std::max(acc, lo), hi);
  }
}

// Output rows [oy0, oy1) of one plane. Wide rows are written in place row by row; narrow ones
// (where a row is too short to fill the vectors) as one run over the band into tmp, then copied.
template <int K, int S>
STRIDE_INLINE void directBand(const DirectPlan& p, const float* src, const float* w, float b, float lo, float hi,
                              int64_t oy0, int64_t oy1, float* y, float* buf, float* tmp, bool bordersZero) {
  const int64_t rows = oy1 - oy0, sub = p.subFloats(rows);
  fillBand<S>(p, src, oy0, rows, buf, bordersZero);
  const float* taps[K * K];
  if (p.outW >= 32) {
    for (int64_t oy = oy0; oy < oy1; oy++) {
      tapPointers<K, S>(p, buf, sub, (oy - oy0) * p.ld, taps);
      tapSums<K>(taps, w, b, lo, hi, p.outW, y + oy * p.outW);
    }
    return;
  }
  tapPointers<K, S>(p, buf, sub, 0, taps);
  tapSums<K>(taps, w, b, lo, hi, rows * p.ld, tmp);
  for (int64_t oy = oy0; oy < oy1; oy++)
    std::memcpy(y + oy * p.outW, tmp + (oy - oy0) * p.ld, p.outW * sizeof(float));
}

STRIDE_INLINE void directBandImpl(const DirectPlan* p, const float* src, const float* w, float b, float lo,
                                  float hi, int64_t oy0, int64_t oy1, float* y, float* buf, float* tmp, bool z) {
  if (p->k == 3 && p->s == 1) return directBand<3, 1>(*p, src, w, b, lo, hi, oy0, oy1, y, buf, tmp, z);
  if (p->k == 3 && p->s == 2) return directBand<3, 2>(*p, src, w, b, lo, hi, oy0, oy1, y, buf, tmp, z);
  if (p->k == 5 && p->s == 1) return directBand<5, 1>(*p, src, w, b, lo, hi, oy0, oy1, y, buf, tmp, z);
  return directBand<5, 2>(*p, src, w, b, lo, hi, oy0, oy1, y, buf, tmp, z);
}
STRIDE_MULTIVERSION(directBandRun, directBandImpl)

// Filter gradient of output rows [oy0, oy1) of one plane added to total[K*K]: dy copied into
// tmp at the band's row pitch (zeros in the dropped columns), then per tap one vectorized dot
// product over the band, summed in double.
template <int K, int S>
STRIDE_INLINE void filterBand(const DirectPlan& p, const float* x, const float* dy, int64_t oy0, int64_t oy1,
                              double* total, float* buf, float* tmp, bool bordersZero) {
  const int64_t rows = oy1 - oy0, sub = p.subFloats(rows), n = rows * p.ld;
  fillBand<S>(p, x, oy0, rows, buf, bordersZero);
  for (int64_t i = 0; i < rows; i++) {
    float* d = tmp + i * p.ld;
    std::memcpy(d, dy + (oy0 + i) * p.outW, p.outW * sizeof(float));
    for (int64_t q = p.outW; q < p.ld; q++) d[q] = 0.0f;
  }
  const float* taps[K * K];
  tapPointers<K, S>(p, buf, sub, 0, taps);
  for (int t = 0; t < K * K; t++) {
    const float* a = taps[t];
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; j++) s += tmp[j] * a[j];
    total[t] += s;
  }
}

STRIDE_INLINE void filterBandImpl(const DirectPlan* p, const float* x, const float* dy, int64_t oy0, int64_t oy1,
                                  double* total, float* buf, float* tmp, bool z) {
  if (p->k == 3 && p->s == 1) return filterBand<3, 1>(*p, x, dy, oy0, oy1, total, buf, tmp, z);
  if (p->k == 3 && p->s == 2) return filterBand<3, 2>(*p, x, dy, oy0, oy1, total, buf, tmp, z);
  if (p->k == 5 && p->s == 1) return filterBand<5, 1>(*p, x, dy, oy0, oy1, total, buf, tmp, z);
  return filterBand<5, 2>(*p, x, dy, oy0, oy1, total, buf, tmp, z);
}
STRIDE_MULTIVERSION(filterBandRun, filterBandImpl)

#if STRIDE_X86
// ----- AVX-512 forward: K x K (3 or 5), stride S (1 or 2), no dilation, no copies -----
//
// Each vector holds 16 outputs of one plane and reads the input in place: masked loads zero the
// padding (and never touch memory outside the row), so nothing is copied or split. A row of up to
// 8 outputs whose input fits 16 floats shares a vector with the next row (R = 2: lanes 0-7 row oy,
// lanes 8-15 row oy + 1), so 7x7 and 14x14-stride-2 planes fill 14 of 16 lanes; wider rows run in
// blocks of 16 outputs (R = 1). Stride 2 deinterleaves with permutes: a pair of loads covers 32
// input columns, its even lanes are tap kx and its odd ones tap kx + 1. Bias first, one
// accumulator per kernel row, the clamp of a fused ReLU/ReLU6 last.
struct Avx512Plan {
  int k, s, r;
  int64_t inH, inW, outH, outW, padT, padL;
  int64_t blocks;                   // vectors per output row (r == 1), else 1
  int loads;                        // loads per kernel row and block: k (stride 1), (k + 1) / 2 pairs, or 1 (r == 2)
  std::vector<uint32_t> loadMask;   // [block * loads + q]: the input columns of load q that lie in the row
  std::vector<uint16_t> storeMask;  // [block]: the lanes that are outputs of the row
  bool centered = false;            // r == 1, padLeft (k - 1) / 2, stride 1 or k 3: the Centered kernels
  std::vector<uint32_t> blockMask;  // centered: [block], blocks + 1 of them: columns 16 * s * block on in the row
  bool pairRows = false;            // 3x3 'same' stride 1 on planes up to 7 wide: avx512PairRows
  uint16_t pairC0 = 0, pairC2 = 0;  // pairRows: output lanes with a column on the left / right
  // avx512TwoBlockRows (3x3, padLeft 1, rows of 17 to 64 outputs), 6 per strip of 32 output columns:
  // stride 1: the input columns of its blocks, of the tap left of block 0 and right of block 1;
  // stride 2: its 64 input columns as two 32-bit masks, lane 15 of the 16 columns before it, 0;
  // then the output columns of its two blocks. Empty for the other kernels.
  std::vector<uint32_t> stripMask;
};

// Lanes i in [0, n) whose column start + i lies in [0, width).
uint32_t columnBits(int64_t start, int64_t n, int64_t width) {
  const int64_t lo = std::clamp<int64_t>(-start, 0, n), hi = std::clamp<int64_t>(width - start, lo, n);
  const uint64_t upto = hi >= 64 ? ~0ull : (1ull << hi) - 1, below = (1ull << lo) - 1;
  return static_cast<uint32_t>(upto & ~below);
}

// Prefetch the cache lines of n floats from `from` (past the array is harmless): the kernels'
// masked loads alone leave input that comes from memory waiting on it.
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) void prefetchRow(const float* from, int64_t n) {
  for (int64_t c = 0; c < n; c += 16) _mm_prefetch(reinterpret_cast<const char*>(from + c), _MM_HINT_T0);
}

Avx512Plan avx512Plan(const ConvGeometry& g) {
  Avx512Plan p;
  p.k = static_cast<int>(g.kH);
  p.s = static_cast<int>(g.strideH);
  p.inH = g.inH, p.inW = g.inW, p.outH = g.outH, p.outW = g.outW, p.padT = g.padTop, p.padL = g.padLeft;
  p.r = g.outW <= 8 && (g.outW - 1) * g.strideH + g.kW <= 16 ? 2 : 1;
  p.pairRows = g.kH == 3 && g.kW == 3 && g.strideH == 1 && g.strideW == 1 && g.padTop == 1 && g.padLeft == 1 &&
               g.outH == g.inH && g.outW == g.inW && g.outW <= 7;
  if (p.pairRows) {
    p.r = 2;
    p.blocks = 1;
    for (int64_t l = 0; l < 2 * g.outW; l++) {
      if (l % g.outW != 0) p.pairC0 |= static_cast<uint16_t>(1u << l);
      if (l % g.outW != g.outW - 1) p.pairC2 |= static_cast<uint16_t>(1u << l);
    }
    return p;
  }
  if (p.r == 2) {
    p.blocks = 1;
    p.loads = 1;
    p.loadMask.push_back(columnBits(-p.padL, 16, p.inW));
    p.storeMask.push_back(static_cast<uint16_t>((1u << g.outW) - 1));
    return p;
  }
  p.blocks = (g.outW + 15) / 16;
  p.loads = p.s == 1 ? p.k : (p.k + 1) / 2;
  for (int64_t b = 0; b < p.blocks; b++) {
    const int64_t ox0 = b * 16;
    for (int q = 0; q < p.loads; q++)
      p.loadMask.push_back(p.s == 1 ? columnBits(ox0 - p.padL + q, 16, p.inW)
                                    : columnBits(2 * ox0 - p.padL + 2 * q, 32, p.inW));
    p.storeMask.push_back(static_cast<uint16_t>(columnBits(ox0, 16, g.outW)));
  }
  p.centered = p.padL == (p.k - 1) / 2 && (p.s == 1 || p.k == 3);
  if (p.centered && p.k == 3 && g.outW > 16 && g.outW <= 64)
    for (int64_t ob = 0; ob < g.outW; ob += 32) {
      const int64_t c = ob * p.s;  // the strip's first input column
      if (p.s == 1) {
        p.stripMask.insert(p.stripMask.end(), {columnBits(c, 16, p.inW), columnBits(c + 16, 16, p.inW),
                                               columnBits(c - 1, 16, p.inW), columnBits(c + 17, 16, p.inW)});
      } else {
        p.stripMask.insert(p.stripMask.end(), {columnBits(c, 32, p.inW), columnBits(c + 32, 32, p.inW),
                                               columnBits(c - 16, 16, p.inW) & 0x8000u, 0u});
      }
      p.stripMask.insert(p.stripMask.end(), {columnBits(ob, 16, g.outW), columnBits(ob + 16, 16, g.outW)});
    }
  if (p.centered)
    for (int64_t b = 0; b <= p.blocks; b++)
      p.blockMask.push_back(columnBits(b * 16 * p.s, 16 * p.s, p.inW));
  return p;
}

// Stride 1 with the kernel centred on each output (padLeft (K - 1) / 2, MobileNet's 'same'
// padding), rows of more than 8 outputs: each kernel row loads each 16-column block of its input
// row once, and the taps' shifted views come from the block and its neighbours by lane rotations
// (valignd) rather than K overlapping loads.
template <int K>
STRIDE_TARGET_AVX512 void avx512CenteredRows(const Avx512Plan& p, const float* x, const float* w, float b, float lo,
                                             float hi, int64_t oy0, int64_t oy1, float* y) {
  constexpr int H = (K - 1) / 2;
  __m512 wv[K * K];
  for (int t = 0; t < K * K; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const int64_t inW = p.inW, outW = p.outW;
  const uint32_t* blockMask = p.blockMask.data();
  for (int64_t oy = oy0; oy < oy1; oy++) {
    const float* rows[K];
    __mmask16 inside[K];
    __m512 prev[K], cur[K];
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
      const int64_t iy = oy - p.padT + ky;
      const bool in = iy >= 0 && iy < p.inH;
      rows[ky] = x + (in ? iy : 0) * inW;
      inside[ky] = in ? static_cast<__mmask16>(0xFFFF) : 0;
      prev[ky] = _mm512_setzero_ps();
      cur[ky] = _mm512_maskz_loadu_ps(static_cast<__mmask16>(blockMask[0]) & inside[ky], rows[ky]);
    }
    {
      const int64_t iy = oy + 2 - p.padT + K - 1;
      if (iy >= 0 && iy < p.inH)
        prefetchRow(x + iy * inW, inW);
    }
    float* yr = y + oy * outW;
    for (int64_t bk = 0; bk < p.blocks; bk++) {
      const int64_t ox0 = bk * 16;
      __m512 acc[K];
#pragma GCC unroll 5
      for (int ky = 0; ky < K; ky++) {
        const __m512 next =
            _mm512_maskz_loadu_ps(static_cast<__mmask16>(blockMask[bk + 1]) & inside[ky], rows[ky] + ox0 + 16);
        const __m512 c = cur[ky];
        const __m512i pi = _mm512_castps_si512(prev[ky]), ci = _mm512_castps_si512(c),
                      ni = _mm512_castps_si512(next);
        __m512 a = ky == 0 ? bias : _mm512_setzero_ps();
        if constexpr (H == 2)
          a = _mm512_fmadd_ps(wv[ky * K + 0], _mm512_castsi512_ps(_mm512_alignr_epi32(ci, pi, 14)), a);
        a = _mm512_fmadd_ps(wv[ky * K + H - 1], _mm512_castsi512_ps(_mm512_alignr_epi32(ci, pi, 15)), a);
        a = _mm512_fmadd_ps(wv[ky * K + H], c, a);
        a = _mm512_fmadd_ps(wv[ky * K + H + 1], _mm512_castsi512_ps(_mm512_alignr_epi32(ni, ci, 1)), a);
        if constexpr (H == 2)
          a = _mm512_fmadd_ps(wv[ky * K + 4], _mm512_castsi512_ps(_mm512_alignr_epi32(ni, ci, 2)), a);
        acc[ky] = a;
        prev[ky] = c;
        cur[ky] = next;
      }
#pragma GCC unroll 5
      for (int ky = 1; ky < K; ky++) acc[0] = _mm512_add_ps(acc[0], acc[ky]);
      const __m512 v = _mm512_min_ps(_mm512_max_ps(acc[0], vlo), vhi);
      _mm512_mask_storeu_ps(yr + ox0, p.storeMask[bk], v);
    }
  }
}

// Output rows [oy0, oy1) of one plane (oy0 a multiple of R).
template <int K, int S, int R>
STRIDE_TARGET_AVX512 void avx512Rows(const Avx512Plan& p, const float* x, const float* w, float b, float lo,
                                     float hi, int64_t oy0, int64_t oy1, float* y) {
  __m512 wv[K * K];
  for (int t = 0; t < K * K; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const int64_t inW = p.inW, outW = p.outW;
  if constexpr (R == 2) {
    // Lane l < 8 reads A[S * l + kx], lane l >= 8 reads B[S * (l - 8) + kx].
    const __m512i base = S == 1 ? _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
                                : _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    __m512i idx[K];
    for (int kx = 0; kx < K; kx++) idx[kx] = _mm512_add_epi32(base, _mm512_set1_epi32(kx));
    const __mmask16 cols = static_cast<__mmask16>(p.loadMask[0]), store = p.storeMask[0];
    for (int64_t oy = oy0; oy < oy1; oy += 2) {
      // Input rows oy * S - padT + i: kernel row ky reads row ky for lanes 0-7 and row ky + S for
      // lanes 8-15, so K + S loads serve the K kernel rows. (Row B of a last lone row oy is read
      // only where it lies in the image, and its lanes are not stored.)
      __m512 in[K + S];
#pragma GCC unroll 7
      for (int i = 0; i < K + S; i++) {
        const int64_t iy = oy * S - p.padT + i;
        const bool inside = iy >= 0 && iy < p.inH;
        in[i] = _mm512_maskz_loadu_ps(inside ? cols : 0, x + (inside ? iy * inW - p.padL : 0));
      }
      // Fetch ahead (into the next planes of a task): 2 * S input rows a vector, a few vectors on.
      prefetchRow(x + (oy * S + 8) * inW, 2 * S * inW);
      __m512 acc[K];
#pragma GCC unroll 5
      for (int ky = 0; ky < K; ky++) {
        acc[ky] = ky == 0 ? bias : _mm512_setzero_ps();
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
          acc[ky] = _mm512_fmadd_ps(wv[ky * K + kx], _mm512_permutex2var_ps(in[ky], idx[kx], in[ky + S]), acc[ky]);
      }
#pragma GCC unroll 5
      for (int ky = 1; ky < K; ky++) acc[0] = _mm512_add_ps(acc[0], acc[ky]);
      const __m512 v = _mm512_min_ps(_mm512_max_ps(acc[0], vlo), vhi);
      _mm512_mask_storeu_ps(y + oy * outW, store, v);
      if (oy + 1 < oy1) _mm512_mask_storeu_ps(y + (oy + 1) * outW - 8, static_cast<__mmask16>(store << 8), v);
    }
    return;
  }
  constexpr int L = S == 1 ? K : (K + 1) / 2;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int64_t oy = oy0; oy < oy1; oy++) {
    // Kernel rows that fall outside the image read nothing: their loads take an empty mask.
    const float* rows[K];
    __mmask32 inside[K];
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
      const int64_t iy = oy * S - p.padT + ky;
      const bool in = iy >= 0 && iy < p.inH;
      rows[ky] = x + (in ? iy : 0) * inW - p.padL;
      inside[ky] = in ? ~__mmask32(0) : 0;
    }
    // Fetch ahead the input rows that two rows on will first read: masked loads alone leave large
    // planes waiting on memory.
    for (int64_t iy = (oy + 2) * S - p.padT + K - S; iy < (oy + 2) * S - p.padT + K; iy++)
      if (iy >= 0 && iy < p.inH)
        prefetchRow(x + iy * inW, inW);
    float* yr = y + oy * outW;
    for (int64_t bk = 0; bk < p.blocks; bk++) {
      const int64_t ox0 = bk * 16;
      const uint32_t* masks = p.loadMask.data() + bk * L;
      __m512 acc[K];
#pragma GCC unroll 5
      for (int ky = 0; ky < K; ky++) {
        acc[ky] = ky == 0 ? bias : _mm512_setzero_ps();
        if constexpr (S == 1) {
          const float* src = rows[ky] + ox0;
#pragma GCC unroll 5
          for (int kx = 0; kx < K; kx++) {
            const __m512 v = _mm512_maskz_loadu_ps(static_cast<__mmask16>(masks[kx] & inside[ky]), src + kx);
            acc[ky] = _mm512_fmadd_ps(wv[ky * K + kx], v, acc[ky]);
          }
        } else {
          const float* src = rows[ky] + 2 * ox0;
#pragma GCC unroll 5
          for (int q = 0; q < L; q++) {
            const uint32_t m = masks[q] & inside[ky];
            const __m512 a = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m), src + 2 * q);
            const __m512 c = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m >> 16), src + 2 * q + 16);
            acc[ky] = _mm512_fmadd_ps(wv[ky * K + 2 * q], _mm512_permutex2var_ps(a, even, c), acc[ky]);
            if (2 * q + 1 < K)
              acc[ky] = _mm512_fmadd_ps(wv[ky * K + 2 * q + 1], _mm512_permutex2var_ps(a, odd, c), acc[ky]);
          }
        }
      }
#pragma GCC unroll 5
      for (int ky = 1; ky < K; ky++) acc[0] = _mm512_add_ps(acc[0], acc[ky]);
      const __m512 v = _mm512_min_ps(_mm512_max_ps(acc[0], vlo), vhi);
      _mm512_mask_storeu_ps(yr + ox0, p.storeMask[bk], v);
    }
  }
}

// 3x3 stride 2 with padLeft 1, rows of more than 8 outputs: a block of 16 outputs reads input
// columns [32 * block - 1, 32 * block + 32): one pair of loads, split by two permutes into the even
// columns (tap 1) and the odd ones (tap 2); tap 0 is the odd columns moved up one lane, the
// previous block's last odd column entering lane 0 (zero, the padding, before the first block).
STRIDE_TARGET_AVX512 void avx512CenteredStride2Rows(const Avx512Plan& p, const float* x, const float* w, float b,
                                                    float lo, float hi, int64_t oy0, int64_t oy1, float* y) {
  __m512 wv[9];
  for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const int64_t inW = p.inW, outW = p.outW;
  const uint32_t* blockMask = p.blockMask.data();
  for (int64_t oy = oy0; oy < oy1; oy++) {
    const float* rows[3];
    __mmask32 inside[3];
    __m512 prevOdd[3];
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
      const int64_t iy = oy * 2 - p.padT + ky;
      const bool in = iy >= 0 && iy < p.inH;
      rows[ky] = x + (in ? iy : 0) * inW;
      inside[ky] = in ? ~__mmask32(0) : 0;
      prevOdd[ky] = _mm512_setzero_ps();
    }
    for (int64_t iy = (oy + 2) * 2 - p.padT + 1; iy < (oy + 2) * 2 - p.padT + 3; iy++)
      if (iy >= 0 && iy < p.inH)
        prefetchRow(x + iy * inW, inW);
    float* yr = y + oy * outW;
    for (int64_t bk = 0; bk < p.blocks; bk++) {
      const int64_t ox0 = bk * 16;
      const uint32_t m = blockMask[bk];
      __m512 acc[3];
#pragma GCC unroll 3
      for (int ky = 0; ky < 3; ky++) {
        const float* src = rows[ky] + 2 * ox0;
        const __m512 a = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m & inside[ky]), src);
        const __m512 c = _mm512_maskz_loadu_ps(static_cast<__mmask16>((m & inside[ky]) >> 16), src + 16);
        const __m512 ev = _mm512_permutex2var_ps(a, even, c), od = _mm512_permutex2var_ps(a, odd, c);
        const __m512 left = _mm512_castsi512_ps(
            _mm512_alignr_epi32(_mm512_castps_si512(od), _mm512_castps_si512(prevOdd[ky]), 15));
        __m512 s = ky == 0 ? bias : _mm512_setzero_ps();
        s = _mm512_fmadd_ps(wv[ky * 3], left, s);
        s = _mm512_fmadd_ps(wv[ky * 3 + 1], ev, s);
        acc[ky] = _mm512_fmadd_ps(wv[ky * 3 + 2], od, s);
        prevOdd[ky] = od;
      }
      const __m512 v =
          _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), acc[2]), vlo), vhi);
      _mm512_mask_storeu_ps(yr + ox0, p.storeMask[bk], v);
    }
  }
}

// L_i of avx512PairRows: input rows i and i + 1 (W wide) in lanes [1, 2W], zeros for a row outside.
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) __m512i pairLoad(const float* x, int64_t i, int64_t W,
                                                                            int64_t H, uint32_t row) {
  const uint32_t m = (i >= 0 && i < H ? row : 0) | (i + 1 >= 0 && i + 1 < H ? row << W : 0);
  return _mm512_castps_si512(_mm512_maskz_loadu_ps(static_cast<__mmask16>(m), x + i * W - 1));
}

// 3x3 'same' padding at stride 1 on planes up to 7 wide (MobileNet's 7x7 stage): two output rows
// to a vector, row oy in lanes [0, W) and row oy + 1 in [W, 2W). The rows lie one after the other
// in memory, so both rows' reads of kernel row ky are one run of floats: input rows i = oy + ky - 1
// and i + 1 loaded once as L_i (lane l holds flat input pixel i * W - 1 + l: the rows in lanes
// [1, 2W], zeros for rows outside the image), and tap kx is L_i moved down kx lanes (valignd), the
// lanes of column 0 (kx 0) or W - 1 (kx 2) masked off. Each L_i serves two vectors, so a vector of
// two rows takes 2 loads and 4 lane moves where the rows-of-8 kernel takes 9 two-source permutes,
// and its store is one run of 2W floats.
STRIDE_TARGET_AVX512 void avx512PairRows(const Avx512Plan& p, const float* x, const float* w, float b, float lo,
                                         float hi, int64_t oy0, int64_t oy1, float* y) {
  __m512 wv[9];
  for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const int64_t W = p.inW, H = p.inH;
  const uint32_t row = ((1u << W) - 1) << 1;  // lanes [1, W]: the first row of an L
  const __mmask16 c0 = p.pairC0, c2 = p.pairC2;
  const __m512i zero = _mm512_setzero_si512();
  __m512i prev = pairLoad(x, oy0 - 1, W, H, row);
  for (int64_t oy = oy0; oy < oy1; oy += 2) {
    const __m512i mid = pairLoad(x, oy, W, H, row), next = pairLoad(x, oy + 1, W, H, row);
    const __m512i* in[3] = {&prev, &mid, &next};
    __m512 acc[3];
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
      const __m512i v = *in[ky];
      __m512 a = ky == 0 ? bias : _mm512_setzero_ps();
      a = _mm512_mask3_fmadd_ps(wv[ky * 3], _mm512_castsi512_ps(v), a, c0);
      a = _mm512_fmadd_ps(wv[ky * 3 + 1], _mm512_castsi512_ps(_mm512_alignr_epi32(zero, v, 1)), a);
      acc[ky] = _mm512_fmadd_ps(wv[ky * 3 + 2], _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(c2, zero, v, 2)), a);
    }
    const __m512 out = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), acc[2]), vlo), vhi);
    const int64_t n = std::min<int64_t>(2, oy1 - oy);
    _mm512_mask_storeu_ps(y + oy * W, static_cast<__mmask16>((1u << (n * W)) - 1), out);
    prev = next;
  }
}

// 3x3 stride 2, padLeft 1, on inputs up to 16 wide (14x14 -> 7x7, MobileNet's last stride-2
// layer): two output rows to a vector as in avx512Rows<3, 2, 2> (lanes 0-7 row oy, 8-15 row oy + 1),
// but each kernel row takes two two-source permutes (the even input columns, tap 1, and the odd
// ones, tap 2, of both input rows) and one lane move (tap 0: the odd columns one lane up, the
// padding entering lanes 0 and 8) instead of three permutes, and each input row is loaded once.
STRIDE_TARGET_AVX512 void avx512PairStride2Rows(const Avx512Plan& p, const float* x, const float* w, float b,
                                                float lo, float hi, int64_t oy0, int64_t oy1, float* y) {
  __m512 wv[9];
  for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __mmask16 cols = static_cast<__mmask16>(columnBits(0, 16, p.inW)), store = p.storeMask[0];
  const int64_t inW = p.inW, inH = p.inH, outW = p.outW;
  __m512 first = _mm512_setzero_ps();
  {
    const int64_t iy = 2 * oy0 - p.padT;
    if (iy >= 0 && iy < inH) first = _mm512_maskz_loadu_ps(cols, x + iy * inW);
  }
  for (int64_t oy = oy0; oy < oy1; oy += 2) {
    // Input rows 2oy - padT + i, i in [0, 5): kernel row ky reads row ky (lanes 0-7) and ky + 2
    // (lanes 8-15). Row 0 is the previous pair's row 4.
    __m512 in[5];
    in[0] = first;
#pragma GCC unroll 4
    for (int i = 1; i < 5; i++) {
      const int64_t iy = 2 * oy - p.padT + i;
      const bool inside = iy >= 0 && iy < inH;
      in[i] = _mm512_maskz_loadu_ps(inside ? cols : 0, x + (inside ? iy * inW : 0));
    }
    __m512 acc[3];
#pragma GCC unroll 3
    for (int ky = 0; ky < 3; ky++) {
      const __m512 ev = _mm512_permutex2var_ps(in[ky], even, in[ky + 2]);
      const __m512 od = _mm512_permutex2var_ps(in[ky], odd, in[ky + 2]);
      const __m512 left = _mm512_castsi512_ps(
          _mm512_maskz_alignr_epi32(0xFEFE, _mm512_castps_si512(od), _mm512_setzero_si512(), 15));
      __m512 a = _mm512_fmadd_ps(wv[ky * 3], left, ky == 0 ? bias : _mm512_setzero_ps());
      a = _mm512_fmadd_ps(wv[ky * 3 + 1], ev, a);
      acc[ky] = _mm512_fmadd_ps(wv[ky * 3 + 2], od, a);
    }
    // Fetch ahead (into the next planes of a task): masked loads alone leave batches that do not fit
    // the cache waiting on memory. Four input rows a pair, a few pairs on.
    prefetchRow(x + (2 * oy + 8) * inW, 4 * inW);
    first = in[4];
    const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), acc[2]), vlo), vhi);
    _mm512_mask_storeu_ps(y + oy * outW, store, v);
    if (oy + 1 < oy1) _mm512_mask_storeu_ps(y + (oy + 1) * outW - 8, static_cast<__mmask16>(store << 8), v);
  }
}

// The views of input row iy of a 3x3 kernel centred on its outputs (none outside the image):
// lane l of view kx holds the column that output column l reads at tap kx, zero in the padding.
// Stride 1: columns l + kx - 1 of a row of at most 16; stride 2: columns 2l + kx - 1 of a row
// of at most 32, split into even and odd columns by two permutes.
template <int S>
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) void narrowViews(const Avx512Plan& p, const float* x,
                                                                            int64_t iy, uint32_t cols, __m512* v) {
  const bool inside = iy >= 0 && iy < p.inH;
  const float* row = x + (inside ? iy * p.inW : 0);
  const uint32_t m = inside ? cols : 0;
  // Fetch ahead (into the next planes of a task): masked loads alone leave batches that do not
  // fit the cache waiting on memory. One line per 64 bytes of input read.
  prefetchRow(x + (iy + 8) * p.inW, p.inW);
  const __m512i zero = _mm512_setzero_si512();
  if constexpr (S == 1) {
    const __m512 c = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m), row);
    const __m512i ci = _mm512_castps_si512(c);
    v[0] = _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(0xFFFF, ci, zero, 15));
    v[1] = c;
    v[2] = _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(0xFFFF, zero, ci, 1));
  } else {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512 a = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m), row);
    const __m512 c = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m >> 16), row + 16);
    v[1] = _mm512_permutex2var_ps(a, even, c);
    v[2] = _mm512_permutex2var_ps(a, odd, c);
    v[0] = _mm512_castsi512_ps(_mm512_maskz_alignr_epi32(0xFFFF, _mm512_castps_si512(v[2]), zero, 15));
  }
}

// 3x3 'same' padding (padLeft 1) on output rows of 9 to 16 (14x14 planes at stride 1, 28x28 at
// stride 2): one vector a row, and each input row is loaded once for the whole plane: its three
// views stay in registers for every output row that reads it.
template <int S>
STRIDE_TARGET_AVX512 void avx512NarrowRows(const Avx512Plan& p, const float* x, const float* w, float b, float lo,
                                           float hi, int64_t oy0, int64_t oy1, float* y) {
  __m512 wv[9];
  for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const uint32_t cols = p.blockMask[0];
  const __mmask16 store = p.storeMask[0];
  const int64_t outW = p.outW;
  // r0, r1, r2: the views of input rows oy * S - padT + 0, 1, 2.
  __m512 r0[3], r1[3], r2[3];
  narrowViews<S>(p, x, oy0 * S - p.padT, cols, r0);
  if (S == 1) narrowViews<S>(p, x, oy0 * S - p.padT + 1, cols, r1);
  for (int64_t oy = oy0; oy < oy1; oy++) {
    if (S == 2) narrowViews<S>(p, x, oy * S - p.padT + 1, cols, r1);
    narrowViews<S>(p, x, oy * S - p.padT + 2, cols, r2);
    __m512 a = _mm512_fmadd_ps(wv[0], r0[0], bias), c = _mm512_mul_ps(wv[3], r1[0]), d = _mm512_mul_ps(wv[6], r2[0]);
    a = _mm512_fmadd_ps(wv[1], r0[1], a);
    c = _mm512_fmadd_ps(wv[4], r1[1], c);
    d = _mm512_fmadd_ps(wv[7], r2[1], d);
    a = _mm512_fmadd_ps(wv[2], r0[2], a);
    c = _mm512_fmadd_ps(wv[5], r1[2], c);
    d = _mm512_fmadd_ps(wv[8], r2[2], d);
    const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(_mm512_add_ps(a, c), d), vlo), vhi);
    _mm512_mask_storeu_ps(y + oy * outW, store, v);
    for (int k = 0; k < 3; k++) {
      r0[k] = S == 1 ? r1[k] : r2[k];
      if (S == 1) r1[k] = r2[k];
    }
  }
}

// The views of input row iy for output columns [ob, ob + 32) of a 3x3 kernel with padLeft 1 (a
// strip of two blocks of 16; m: the strip's load masks, see Avx512Plan::stripMask): v[3 * b + kx]
// holds, for output column ob + 16b + l, the input column that tap kx reads (zero in the padding
// and outside the image). Stride 1: four loads (the blocks and the two outer taps) and two lane
// moves; stride 2: five loads, four permutes (even / odd columns) and two lane moves.
template <int S>
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) void twoBlockViews(const Avx512Plan& p, const float* x,
                                                                              int64_t iy, int64_t ob,
                                                                              const uint32_t* m, __m512* v) {
  const bool inside = iy >= 0 && iy < p.inH;
  const float* row = x + (inside ? iy * p.inW : 0) + ob * S;
  const uint32_t in = inside ? ~0u : 0u;
  if constexpr (S == 1) {
    const __m512i b0 = _mm512_castps_si512(_mm512_maskz_loadu_ps(static_cast<__mmask16>(m[0] & in), row));
    const __m512i b1 = _mm512_castps_si512(_mm512_maskz_loadu_ps(static_cast<__mmask16>(m[1] & in), row + 16));
    v[0] = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m[2] & in), row - 1);
    v[1] = _mm512_castsi512_ps(b0);
    v[2] = _mm512_castsi512_ps(_mm512_alignr_epi32(b1, b0, 1));
    v[3] = _mm512_castsi512_ps(_mm512_alignr_epi32(b1, b0, 15));
    v[4] = _mm512_castsi512_ps(b1);
    v[5] = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m[3] & in), row + 17);
  } else {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const uint32_t m0 = m[0] & in, m1 = m[1] & in;
    const __m512 a0 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m0), row);
    const __m512 a1 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m0 >> 16), row + 16);
    const __m512 a2 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m1), row + 32);
    const __m512 a3 = _mm512_maskz_loadu_ps(static_cast<__mmask16>(m1 >> 16), row + 48);
    // Lane 15: the input column left of the strip (the odd column before it).
    const __m512i before = _mm512_castps_si512(_mm512_maskz_loadu_ps(static_cast<__mmask16>(m[2] & in), row - 16));
    v[1] = _mm512_permutex2var_ps(a0, even, a1);
    v[2] = _mm512_permutex2var_ps(a0, odd, a1);
    v[4] = _mm512_permutex2var_ps(a2, even, a3);
    v[5] = _mm512_permutex2var_ps(a2, odd, a3);
    v[0] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(v[2]), before, 15));
    v[3] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(v[5]), _mm512_castps_si512(v[2]), 15));
  }
  // Fetch ahead (into the next planes of a task), one line per 64 bytes of the strip's input.
  prefetchRow(row + 8 * p.inW, 32 * S);
}

// acc[b] += kernel row ky's three taps on views v (both blocks); the taps are summed apart first,
// so acc's chain grows by one add per kernel row.
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) void twoBlockTaps(const __m512* wv, int ky, const __m512* v,
                                                                             __m512* acc) {
#pragma GCC unroll 2
  for (int bk = 0; bk < 2; bk++) {
    __m512 t = _mm512_mul_ps(wv[ky * 3], v[3 * bk]);
    t = _mm512_fmadd_ps(wv[ky * 3 + 1], v[3 * bk + 1], t);
    t = _mm512_fmadd_ps(wv[ky * 3 + 2], v[3 * bk + 2], t);
    acc[bk] = _mm512_add_ps(acc[bk], t);
  }
}

// Output columns [0, 32) from yr of a strip (stores: its two store masks): clamp and store.
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) void twoBlockStore(__m512 vlo, __m512 vhi,
                                                                              const __m512* acc,
                                                                              const uint32_t* stores, float* yr) {
  _mm512_mask_storeu_ps(yr, static_cast<__mmask16>(stores[0]), _mm512_min_ps(_mm512_max_ps(acc[0], vlo), vhi));
  _mm512_mask_storeu_ps(yr + 16, static_cast<__mmask16>(stores[1]), _mm512_min_ps(_mm512_max_ps(acc[1], vlo), vhi));
}

// 3x3, padLeft 1, rows of 17 to 64 outputs (28x28 and 56x56 planes at stride 1, 56x56 and 112x112
// at stride 2), in strips of 32 output columns: each input row's views for the strip are built
// once and added into every output row that reads it, where the centred kernels rebuild them for
// each of the (up to three) output rows.
template <int S>
STRIDE_TARGET_AVX512 void avx512TwoBlockRows(const Avx512Plan& p, const float* x, const float* w, float b, float lo,
                                             float hi, int64_t oy0, int64_t oy1, float* y) {
  __m512 wv[9];
  for (int t = 0; t < 9; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 bias = _mm512_set1_ps(b), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const int64_t outW = p.outW, padT = p.padT;
  __m512 v[6];
  for (int64_t strip = 0; strip * 32 < outW; strip++) {
    const int64_t ob = strip * 32;
    const uint32_t* m = p.stripMask.data() + strip * 6;
    if constexpr (S == 1) {
      // Input row iy feeds output rows iy + padT - 2 (kernel row 2: acc a), iy + padT - 1 (row 1:
      // c) and iy + padT (row 0: n, started here).
      __m512 a[2] = {bias, bias}, c[2] = {bias, bias};
      for (int64_t iy = oy0 - padT; iy <= oy1 - 1 - padT + 2; iy++) {
        twoBlockViews<1>(p, x, iy, ob, m, v);
        __m512 n[2] = {bias, bias};
        twoBlockTaps(wv, 2, v, a);
        twoBlockTaps(wv, 1, v, c);
        twoBlockTaps(wv, 0, v, n);
        const int64_t oy = iy + padT - 2;
        if (oy >= oy0) twoBlockStore(vlo, vhi, a, m + 4, y + oy * outW + ob);
        a[0] = c[0], a[1] = c[1];
        c[0] = n[0], c[1] = n[1];
      }
    } else {
      // Output oy reads input rows 2oy - padT + ky; row 2oy - padT + 2 is also row 0 of oy + 1 (n).
      __m512 n[2] = {bias, bias};
      twoBlockViews<2>(p, x, 2 * oy0 - padT, ob, m, v);
      twoBlockTaps(wv, 0, v, n);
      for (int64_t oy = oy0; oy < oy1; oy++) {
        __m512 a[2] = {n[0], n[1]};
        twoBlockViews<2>(p, x, 2 * oy - padT + 1, ob, m, v);
        twoBlockTaps(wv, 1, v, a);
        twoBlockViews<2>(p, x, 2 * oy - padT + 2, ob, m, v);
        twoBlockTaps(wv, 2, v, a);
        n[0] = bias, n[1] = bias;
        twoBlockTaps(wv, 0, v, n);
        twoBlockStore(vlo, vhi, a, m + 4, y + oy * outW + ob);
      }
    }
  }
}

using Avx512RowsFn = void (*)(const Avx512Plan&, const float*, const float*, float, float, float, int64_t, int64_t,
                              float*);

Avx512RowsFn avx512RowsFor(const Avx512Plan& p) {
  if (p.pairRows) return avx512PairRows;
  if (p.r == 2 && p.k == 3 && p.s == 2 && p.padL == 1 && p.inW <= 16) return avx512PairStride2Rows;
  if (p.centered && p.k == 3 && p.blocks == 1 && p.inW <= 16 * p.s)
    return p.s == 1 ? avx512NarrowRows<1> : avx512NarrowRows<2>;
  if (!p.stripMask.empty()) return p.s == 1 ? avx512TwoBlockRows<1> : avx512TwoBlockRows<2>;
  if (p.centered && p.s == 2) return avx512CenteredStride2Rows;
  if (p.centered) return p.k == 3 ? avx512CenteredRows<3> : avx512CenteredRows<5>;
  const int key = p.k * 100 + p.s * 10 + p.r;
  switch (key) {
    case 311: return avx512Rows<3, 1, 1>;
    case 312: return avx512Rows<3, 1, 2>;
    case 321: return avx512Rows<3, 2, 1>;
    case 322: return avx512Rows<3, 2, 2>;
    case 511: return avx512Rows<5, 1, 1>;
    case 512: return avx512Rows<5, 1, 2>;
    case 521: return avx512Rows<5, 2, 1>;
    default: return avx512Rows<5, 2, 2>;
  }
}

// The forward on the AVX-512 kernels: planes (image, channel) split into tasks of about 32K
// multiply-adds, whole planes grouped where they are small, rows cut into bands where there are
// too few planes to give every configured thread 4 tasks. A task's outputs are the same whoever
// runs it.
void depthwiseForwardAvx512(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                            float lo, float hi, double flops) {
  const Avx512Plan p = avx512Plan(g);
  const Avx512RowsFn rowsFn = avx512RowsFor(p);
  const int64_t planes = g.batch * g.outChannels, plane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const int64_t taps = g.kH * g.kW, wantTasks = 4 * numThreads();
  const int64_t steps = (g.outH + p.r - 1) / p.r;  // row steps of a plane
  const int64_t bands = std::clamp<int64_t>((wantTasks + planes - 1) / planes, 1, steps);
  const int64_t bandRows = (steps + bands - 1) / bands * p.r;
  const int64_t nBands = (g.outH + bandRows - 1) / bandRows;
  const int64_t planeWork = std::max<int64_t>(1, outPlane * taps);
  const int64_t group =
      nBands > 1 ? 1 : std::clamp<int64_t>(32768 / planeWork, 1, std::max<int64_t>(1, planes / wantTasks));
  const int64_t tasks = (planes * nBands + group - 1) / group;
  ThreadPool::instance().parallelFor(tasks, threadsFor(flops), [&](int64_t task) {
    const int64_t end = std::min(planes * nBands, (task + 1) * group);
    for (int64_t t = task * group; t < end; t++) {
      const int64_t pl = t / nBands, band = t % nBands, c = pl % g.outChannels;
      const int64_t oy0 = band * bandRows, oy1 = std::min(g.outH, oy0 + bandRows);
      rowsFn(p, x + pl * plane, w + c * taps, bias ? bias[c] : 0.0f, lo, hi, oy0, oy1, y + pl * outPlane);
    }
  });
}
#endif

// Whether g runs on the direct path: square 3x3 or 5x5, equal strides of 1 or 2, no dilation.
bool directShape(const ConvGeometry& g) {
  return g.kH == g.kW && (g.kH == 3 || g.kH == 5) && g.strideH == g.strideW && (g.strideH == 1 || g.strideH == 2) &&
         g.dilationH == 1 && g.dilationW == 1;
}

// Output rows per band: the band's buffer within about 32 KiB (L1), at least one row.
int64_t bandRowsFor(const DirectPlan& p) {
  const int64_t perRow = p.s * p.s * p.ld;
  const int64_t fit = 8192 / std::max<int64_t>(perRow, 1) - ((p.k - 1) / p.s + 1);
  return std::clamp<int64_t>(fit, 1, std::max<int64_t>(p.outH, 1));
}

// fn(plane, oy0, oy1, buf, tmp, bordersZero) for every band of every plane, in parallel: bands
// fit the buffer, and are cut smaller where planes alone would leave a configured thread with
// under 4 tasks (batch 1 of a few channels); small planes are grouped. Splitting never changes a
// result: each output sums the same way.
template <typename Fn>
void forEachBand(const DirectPlan& p, int64_t planes, double flops, const Fn& fn) {
  const int threads = threadsFor(flops);
  const int64_t wanted = (4 * numThreads() + planes - 1) / planes;
  const int64_t rows = std::min(bandRowsFor(p), std::max<int64_t>(1, p.outH / std::max<int64_t>(wanted, 1)));
  const int64_t bands = (p.outH + rows - 1) / rows;
  const size_t bufFloats = p.bufferFloats(rows), tmpFloats = static_cast<size_t>(rows * p.ld);
  // Small whole planes go several to a task (about 32K multiply-adds), keeping 4 tasks a thread.
  const int64_t planeWork = p.outH * p.ld * p.k * p.k;
  const int64_t most = std::max<int64_t>(1, planes / (4 * numThreads()));
  const int64_t group = bands > 1 ? 1 : std::clamp<int64_t>(32768 / std::max<int64_t>(planeWork, 1), 1, most);
  const int64_t tasks = (planes * bands + group - 1) / group;
  ThreadPool::instance().parallelFor(tasks, threads, [&](int64_t task) {
    float* buf = scratch(Slot::Pad, bufFloats);
    float* tmp = scratch(Slot::Cols, tmpFloats);
    const int64_t end = std::min(planes * bands, (task + 1) * group);
    int64_t laidOut = -1;  // the band whose zeros buf holds
    for (int64_t t = task * group; t < end; t++) {
      const int64_t plane = t / bands, band = t % bands;
      const int64_t oy0 = band * rows, oy1 = std::min(p.outH, oy0 + rows);
      fn(plane, oy0, oy1, buf, tmp, band == laidOut);
      laidOut = band;
    }
  });
}

double depthwiseFlops(const ConvGeometry& g) {
  return 2.0 * g.batch * g.outChannels * g.outH * g.outW * g.kH * g.kW;
}

}  // namespace

void depthwiseForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                      float lo, float hi) {
  const int64_t plane = g.inH * g.inW, outPlane = g.outH * g.outW;
  if (g.batch == 0 || g.outChannels == 0 || outPlane == 0) return;
  const int64_t taps = g.kH * g.kW;
#if STRIDE_X86
  if (directShape(g) && activeIsa() == Isa::Avx512)
    return depthwiseForwardAvx512(g, x, w, bias, y, lo, hi, depthwiseFlops(g));
#endif
  if (directShape(g)) {
    const DirectPlan p(g.kH, g.strideH, 1, g.padTop, g.padLeft, g.inH, g.inW, g.outH, g.outW);
    const auto band = [&](int64_t t, int64_t oy0, int64_t oy1, float* buf, float* tmp, bool z) {
      const int64_t c = t % g.outChannels;
      directBandRun(&p, x + t * plane, w + c * taps, bias ? bias[c] : 0.0f, lo, hi, oy0, oy1, y + t * outPlane, buf,
                    tmp, z);
    };
    forEachBand(p, g.batch * g.outChannels, depthwiseFlops(g), band);
    return;
  }
  const bool clamp = lo > -std::numeric_limits<float>::infinity() || hi < std::numeric_limits<float>::infinity();
  const int threads = threadsFor(depthwiseFlops(g));
  ThreadPool::instance().parallelFor(g.batch * g.outChannels, threads, [&](int64_t t) {
    const int64_t c = t % g.outChannels;
    float* yp = y + t * outPlane;
    depthwisePlane(&g, x + t * plane, w + c * taps, bias ? bias[c] : 0.0f, yp);
    if (clamp)
      for (int64_t i = 0; i < outPlane; i++) yp[i] = std::min(std::max(yp[i], lo), hi);
  });
}

void depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int64_t plane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const int64_t taps = g.kH * g.kW;
  // dx is the stride-1 correlation of dy, spread by the stride and bordered by k - 1 - pad, with
  // the flipped kernel; a padding over k - 1 would need a negative border (general path).
  if (directShape(g) && g.padTop <= g.kH - 1 && g.padLeft <= g.kW - 1) {
    const float inf = std::numeric_limits<float>::infinity();
    float* flipped = scratch(Slot::Extra, static_cast<size_t>(g.inChannels * taps));
    for (int64_t c = 0; c < g.inChannels; c++)
      for (int64_t t = 0; t < taps; t++) flipped[c * taps + t] = w[c * taps + taps - 1 - t];
    const DirectPlan p(g.kH, 1, g.strideH, g.kH - 1 - g.padTop, g.kW - 1 - g.padLeft, g.outH, g.outW, g.inH, g.inW);
    const auto band = [&](int64_t t, int64_t oy0, int64_t oy1, float* buf, float* tmp, bool z) {
      const int64_t c = t % g.inChannels;
      directBandRun(&p, dy + t * outPlane, static_cast<const float*>(flipped + c * taps), 0.0f, -inf, inf, oy0, oy1,
                    dx + t * plane, buf, tmp, z);
    };
    forEachBand(p, g.batch * g.inChannels, depthwiseFlops(g), band);
    return;
  }
  const int threads = threadsFor(depthwiseFlops(g));
  ThreadPool::instance().parallelFor(g.batch * g.inChannels, threads, [&](int64_t t) {
    const int64_t c = t % g.inChannels;
    depthwiseDataPlane(&g, dy + t * outPlane, w + c * taps, dx + t * plane);
  });
}

void depthwiseBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int threads = threadsFor(depthwiseFlops(g));
  const int64_t taps = g.kH * g.kW;
  if (directShape(g)) {
    const int64_t plane = g.inH * g.inW, outPlane = g.outH * g.outW;
    const DirectPlan p(g.kH, g.strideH, 1, g.padTop, g.padLeft, g.inH, g.inW, g.outH, g.outW);
    const int64_t rows = bandRowsFor(p);
    // One task per channel (its sum runs in a fixed order whatever the thread count).
    ThreadPool::instance().parallelFor(g.outChannels, threads, [&](int64_t c) {
      double total[25] = {};
      float* buf = scratch(Slot::Pad, p.bufferFloats(rows));
      float* tmp = scratch(Slot::Cols, static_cast<size_t>(rows * p.ld));
      for (int64_t n = 0; n < g.batch; n++) {
        const int64_t t = n * g.outChannels + c;
        // One band per plane: the zeros laid out for the first image serve the rest.
        const bool z = n > 0 && rows >= g.outH;
        for (int64_t oy0 = 0; oy0 < g.outH; oy0 += rows)
          filterBandRun(&p, x + t * plane, dy + t * outPlane, oy0, std::min(g.outH, oy0 + rows), total, buf, tmp,
                        z);
      }
      for (int64_t k = 0; k < taps; k++) dw[c * taps + k] = static_cast<float>(total[k]);
    });
    return;
  }
  ThreadPool::instance().parallelFor(g.outChannels, threads, [&](int64_t c) {
    depthwiseFilterChannel(&g, x, dy, c, dw + c * taps);
  });
}

}  // namespace stride
