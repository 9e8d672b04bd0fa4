// Max and average pooling over NCHW planes, forward and backward; planes run in parallel.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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

// The number an average window divides by, following PyTorch's count_include_pad rule.
double divisor(const PoolGeometry& p, int64_t oy, int64_t ox) {
  const int64_t y0 = oy * p.strideH - p.padTop, x0 = ox * p.strideW - p.padLeft;
  const int64_t y1 = y0 + (p.kH - 1) * p.dilationH + 1, x1 = x0 + (p.kW - 1) * p.dilationW + 1;
  if (p.countIncludePad) {
    const int64_t hy = std::min(y1, p.inH + p.padBottom) - std::max(y0, -p.padTop);
    const int64_t hx = std::min(x1, p.inW + p.padRight) - std::max(x0, -p.padLeft);
    const int64_t ny = (hy + p.dilationH - 1) / p.dilationH, nx = (hx + p.dilationW - 1) / p.dilationW;
    return static_cast<double>(ny * nx);
  }
  int64_t ylo, yhi, xlo, xhi;
  tapRange(oy, p.strideH, p.padTop, p.dilationH, p.kH, p.inH, &ylo, &yhi);
  tapRange(ox, p.strideW, p.padLeft, p.dilationW, p.kW, p.inW, &xlo, &xhi);
  return static_cast<double>((yhi - ylo) * (xhi - xlo));
}

int poolThreads(const PoolGeometry& p) {
  return threadsFor(static_cast<double>(p.batch * p.channels * p.outH * p.outW) * p.kH * p.kW);
}

}  // namespace

void maxPool2dForward(const PoolGeometry& p, const float* x, float* y, int32_t* indices) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    const float* xp = x + nc * plane;
    float* yp = y + nc * outPlane;
    int32_t* ip = indices + nc * outPlane;
    for (int64_t oy = 0; oy < p.outH; oy++) {
      int64_t ylo, yhi;
      tapRange(oy, p.strideH, p.padTop, p.dilationH, p.kH, p.inH, &ylo, &yhi);
      for (int64_t ox = 0; ox < p.outW; ox++) {
        int64_t xlo, xhi;
        tapRange(ox, p.strideW, p.padLeft, p.dilationW, p.kW, p.inW, &xlo, &xhi);
        float best = -INFINITY;
        int64_t bestIdx = -1;
        for (int64_t ky = ylo; ky < yhi; ky++) {
          const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
          for (int64_t kx = xlo; kx < xhi; kx++) {
            const int64_t ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
            const float v = xp[iy * p.inW + ix];
            // Same rule as the reference: the first maximum wins; a NaN wins and ends its row.
            if (v > best || bestIdx < 0 || std::isnan(v)) {
              best = v;
              bestIdx = iy * p.inW + ix;
              if (std::isnan(v)) break;
            }
          }
        }
        yp[oy * p.outW + ox] = best;
        ip[oy * p.outW + ox] = static_cast<int32_t>(bestIdx);
      }
    }
  });
}

void maxPool2dBackward(const PoolGeometry& p, const float* dy, const int32_t* indices, float* dx) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    float* dxp = dx + nc * plane;
    const float* dyp = dy + nc * outPlane;
    const int32_t* ip = indices + nc * outPlane;
    std::memset(dxp, 0, plane * sizeof(float));
    for (int64_t o = 0; o < outPlane; o++) {
      const int32_t idx = ip[o];
      if (idx >= 0) dxp[idx] += dyp[o];
    }
  });
}

void avgPool2dForward(const PoolGeometry& p, const float* x, float* y) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    const float* xp = x + nc * plane;
    float* yp = y + nc * outPlane;
    for (int64_t oy = 0; oy < p.outH; oy++) {
      int64_t ylo, yhi;
      tapRange(oy, p.strideH, p.padTop, p.dilationH, p.kH, p.inH, &ylo, &yhi);
      for (int64_t ox = 0; ox < p.outW; ox++) {
        int64_t xlo, xhi;
        tapRange(ox, p.strideW, p.padLeft, p.dilationW, p.kW, p.inW, &xlo, &xhi);
        double s = 0.0;
        for (int64_t ky = ylo; ky < yhi; ky++) {
          const float* row = xp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
          for (int64_t kx = xlo; kx < xhi; kx++) s += row[ox * p.strideW - p.padLeft + kx * p.dilationW];
        }
        const double d = divisor(p, oy, ox);
        yp[oy * p.outW + ox] = d > 0 ? static_cast<float>(s / d) : 0.0f;
      }
    }
  });
}

void avgPool2dBackward(const PoolGeometry& p, const float* dy, float* dx) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    float* dxp = dx + nc * plane;
    const float* dyp = dy + nc * outPlane;
    std::memset(dxp, 0, plane * sizeof(float));
    for (int64_t oy = 0; oy < p.outH; oy++) {
      int64_t ylo, yhi;
      tapRange(oy, p.strideH, p.padTop, p.dilationH, p.kH, p.inH, &ylo, &yhi);
      for (int64_t ox = 0; ox < p.outW; ox++) {
        const double d = divisor(p, oy, ox);
        if (d == 0) continue;
        const float g = static_cast<float>(dyp[oy * p.outW + ox] / d);
        int64_t xlo, xhi;
        tapRange(ox, p.strideW, p.padLeft, p.dilationW, p.kW, p.inW, &xlo, &xhi);
        for (int64_t ky = ylo; ky < yhi; ky++) {
          float* row = dxp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
          for (int64_t kx = xlo; kx < xhi; kx++) row[ox * p.strideW - p.padLeft + kx * p.dilationW] += g;
        }
      }
    }
  });
}

}  // namespace stride
