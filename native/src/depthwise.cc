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
#include "depthwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "multiversion.h"
#include "thread_pool.h"
#include "workspace.h"

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
