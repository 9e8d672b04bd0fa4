// Max and average pooling over NCHW planes, forward and backward; planes run in parallel.
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <vector>

#include "multiversion.h"
#include "thread_pool.h"

namespace stride {

namespace {

// Valid window taps along one axis: k in [lo, hi) keeps o*stride - pad + k*dil inside [0, size).
inline void tapRange(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t k, int64_t size, int64_t* lo,
                     int64_t* hi) {
  const int64_t start = o * stride - pad;
  int64_t a = start >= 0 ? 0 : (-start + dil - 1) / dil;
  int64_t b = size - start <= 0 ? 0 : (size - start + dil - 1) / dil;
  *lo = std::min(a, k);
  *hi = std::max(*lo, std::min(b, k));
}

// Taps per output row and column, computed once per call (integer divisions are slow), and the
// factors of each average window's divisor: PyTorch's count_include_pad rule separates into a
// row count times a column count.
struct Taps {
  std::vector<int64_t> ylo, yhi, xlo, xhi;
  std::vector<double> countY, countX;

  explicit Taps(const PoolGeometry& p)
      : ylo(p.outH), yhi(p.outH), xlo(p.outW), xhi(p.outW), countY(p.outH), countX(p.outW) {
    for (int64_t oy = 0; oy < p.outH; oy++) {
      tapRange(oy, p.strideH, p.padTop, p.dilationH, p.kH, p.inH, &ylo[oy], &yhi[oy]);
      countY[oy] = static_cast<double>(count(oy, p.strideH, p.padTop, p.padBottom, p.dilationH, p.kH, p.inH,
                                             yhi[oy] - ylo[oy], p.countIncludePad));
    }
    for (int64_t ox = 0; ox < p.outW; ox++) {
      tapRange(ox, p.strideW, p.padLeft, p.dilationW, p.kW, p.inW, &xlo[ox], &xhi[ox]);
      countX[ox] = static_cast<double>(count(ox, p.strideW, p.padLeft, p.padRight, p.dilationW, p.kW, p.inW,
                                             xhi[ox] - xlo[ox], p.countIncludePad));
    }
  }

  // Taps of one axis that the divisor counts: with count_include_pad, those inside the padded
  // input (a ceil-mode window may hang past the padding); otherwise those inside the input.
  static int64_t count(int64_t o, int64_t stride, int64_t padBegin, int64_t padEnd, int64_t dil, int64_t k,
                       int64_t size, int64_t valid, bool includePad) {
    if (!includePad) return valid;
    const int64_t start = o * stride - padBegin, end = start + (k - 1) * dil + 1;
    const int64_t span = std::min(end, size + padEnd) - std::max(start, -padBegin);
    return (span + dil - 1) / dil;
  }
};

int poolThreads(const PoolGeometry& p) {
  return threadsFor(static_cast<double>(p.batch * p.channels * p.outH * p.outW) * p.kH * p.kW);
}

}  // namespace

// Max over the window of output (oy, ox): the first maximum wins; a NaN wins and ends its row
// (the reference backend's rule).
inline void maxWindow(const PoolGeometry& p, const float* xp, int64_t oy, int64_t ox, int64_t ylo, int64_t yhi,
                      int64_t xlo, int64_t xhi, float* out, int32_t* idx) {
  float best = -INFINITY;
  int64_t bestIdx = -1;
  for (int64_t ky = ylo; ky < yhi; ky++) {
    const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
    for (int64_t kx = xlo; kx < xhi; kx++) {
      const int64_t ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
      const float v = xp[iy * p.inW + ix];
      if (v > best || bestIdx < 0 || std::isnan(v)) {
        best = v;
        bestIdx = iy * p.inW + ix;
        if (std::isnan(v)) break;
      }
    }
  }
  *out = best;
  *idx = static_cast<int32_t>(bestIdx);
}

// Max pooling over the interior outputs [oxA, oxB) of one output row, whose windows have every
// column tap inside the input: tap by tap along the row, a compare and two blends per output with
// no data-dependent branches (random data mispredicts a branchy max). NaN never wins here; outputs
// that saw one are flagged for the scalar rule.
template <int SW>
STRIDE_INLINE void maxRowImpl(const PoolGeometry* pp, const float* xp, int64_t oy, int64_t ylo, int64_t yhi,
                              int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow, uint8_t* sawNaN) {
  const PoolGeometry& p = *pp;
  bool first = true;
  for (int64_t ky = ylo; ky < yhi; ky++) {
    const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
    for (int64_t kx = 0; kx < p.kW; kx++) {
      const int64_t off = kx * p.dilationW - p.padLeft;
      const float* src = xp + iy * p.inW + off;
      const int32_t base = static_cast<int32_t>(iy * p.inW + off);
      if (first) {
        for (int64_t ox = oxA; ox < oxB; ox++) {
          const float v = src[ox * SW];
          yRow[ox] = v;
          iRow[ox] = base + static_cast<int32_t>(ox * SW);
          sawNaN[ox] = v != v;
        }
        first = false;
        continue;
      }
      for (int64_t ox = oxA; ox < oxB; ox++) {
        const float v = src[ox * SW];
        const bool better = v > yRow[ox];
        yRow[ox] = better ? v : yRow[ox];
        iRow[ox] = better ? base + static_cast<int32_t>(ox * SW) : iRow[ox];
        sawNaN[ox] |= v != v;
      }
    }
  }
}
STRIDE_INLINE void maxRow1Impl(const PoolGeometry* p, const float* xp, int64_t oy, int64_t ylo, int64_t yhi,
                               int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow, uint8_t* sawNaN) {
  maxRowImpl<1>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow, sawNaN);
}
STRIDE_INLINE void maxRow2Impl(const PoolGeometry* p, const float* xp, int64_t oy, int64_t ylo, int64_t yhi,
                               int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow, uint8_t* sawNaN) {
  maxRowImpl<2>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow, sawNaN);
}
STRIDE_MULTIVERSION(maxRow1, maxRow1Impl)
STRIDE_MULTIVERSION(maxRow2, maxRow2Impl)

void maxPool2dForward(const PoolGeometry& p, const float* x, float* y, int32_t* indices) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  const Taps taps(p);
  // Outputs whose column taps all lie inside the input form one interval [oxA, oxB).
  int64_t oxA = 0, oxB = 0;
  while (oxA < p.outW && !(taps.xlo[oxA] == 0 && taps.xhi[oxA] == p.kW)) oxA++;
  oxB = oxA;
  while (oxB < p.outW && taps.xlo[oxB] == 0 && taps.xhi[oxB] == p.kW) oxB++;
  const bool rows = p.strideW <= 2 && oxB > oxA;
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    const float* xp = x + nc * plane;
    float* yp = y + nc * outPlane;
    int32_t* ip = indices + nc * outPlane;
    thread_local std::vector<uint8_t> sawNaN;
    if (sawNaN.size() < static_cast<size_t>(p.outW)) sawNaN.resize(p.outW);
    for (int64_t oy = 0; oy < p.outH; oy++) {
      const int64_t ylo = taps.ylo[oy], yhi = taps.yhi[oy];
      float* yRow = yp + oy * p.outW;
      int32_t* iRow = ip + oy * p.outW;
      const bool vector = rows && yhi > ylo;
      for (int64_t ox = 0; ox < p.outW; ox++) {
        if (vector && ox == oxA) {
          if (p.strideW == 1)
            maxRow1(&p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow, sawNaN.data());
          else
            maxRow2(&p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow, sawNaN.data());
          for (int64_t o = oxA; o < oxB; o++)
            if (sawNaN[o]) maxWindow(p, xp, oy, o, ylo, yhi, 0, p.kW, yRow + o, iRow + o);
          ox = oxB - 1;
          continue;
        }
        maxWindow(p, xp, oy, ox, ylo, yhi, taps.xlo[ox], taps.xhi[ox], yRow + ox, iRow + ox);
      }
    }
  });
}

bool maxPool2dBackward(const PoolGeometry& p, const float* dy, const int32_t* indices, float* dx) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  std::atomic<bool> valid{true};
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    float* dxp = dx + nc * plane;
    const float* dyp = dy + nc * outPlane;
    const int32_t* ip = indices + nc * outPlane;
    std::memset(dxp, 0, plane * sizeof(float));
    for (int64_t o = 0; o < outPlane; o++) {
      const int32_t idx = ip[o];
      if (idx >= 0 && idx < plane)
        dxp[idx] += dyp[o];
      else if (idx >= plane)
        valid.store(false, std::memory_order_relaxed);
    }
  });
  return valid.load();
}

void avgPool2dForward(const PoolGeometry& p, const float* x, float* y) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  const Taps taps(p);
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    const float* xp = x + nc * plane;
    float* yp = y + nc * outPlane;
    for (int64_t oy = 0; oy < p.outH; oy++) {
      const int64_t ylo = taps.ylo[oy], yhi = taps.yhi[oy];
      for (int64_t ox = 0; ox < p.outW; ox++) {
        const int64_t xlo = taps.xlo[ox], xhi = taps.xhi[ox];
        double s = 0.0;
        for (int64_t ky = ylo; ky < yhi; ky++) {
          const float* row = xp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
          for (int64_t kx = xlo; kx < xhi; kx++) s += row[ox * p.strideW - p.padLeft + kx * p.dilationW];
        }
        const double d = taps.countY[oy] * taps.countX[ox];
        yp[oy * p.outW + ox] = d > 0 ? static_cast<float>(s / d) : 0.0f;
      }
    }
  });
}

void avgPool2dBackward(const PoolGeometry& p, const float* dy, float* dx) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  const Taps taps(p);
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    float* dxp = dx + nc * plane;
    const float* dyp = dy + nc * outPlane;
    std::memset(dxp, 0, plane * sizeof(float));
    for (int64_t oy = 0; oy < p.outH; oy++) {
      const int64_t ylo = taps.ylo[oy], yhi = taps.yhi[oy];
      for (int64_t ox = 0; ox < p.outW; ox++) {
        const double d = taps.countY[oy] * taps.countX[ox];
        if (d == 0) continue;
        const float g = static_cast<float>(dyp[oy * p.outW + ox] / d);
        const int64_t xlo = taps.xlo[ox], xhi = taps.xhi[ox];
        for (int64_t ky = ylo; ky < yhi; ky++) {
          float* row = dxp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
          for (int64_t kx = xlo; kx < xhi; kx++) row[ox * p.strideW - p.padLeft + kx * p.dilationW] += g;
        }
      }
    }
  });
}

}  // namespace stride
