// Depthwise convolution kernels (see depthwise.h): each output plane reads one input plane.
#include "depthwise.h"

#include <algorithm>
#include <cstring>

#include "multiversion.h"
#include "thread_pool.h"

namespace stride {

namespace {

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

double depthwiseFlops(const ConvGeometry& g) {
  return 2.0 * g.batch * g.outChannels * g.outH * g.outW * g.kH * g.kW;
}

}  // namespace

void depthwiseForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t plane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const int threads = threadsFor(depthwiseFlops(g));
  ThreadPool::instance().parallelFor(g.batch * g.outChannels, threads, [&](int64_t t) {
    const int64_t c = t % g.outChannels;
    depthwisePlane(&g, x + t * plane, w + c * g.kH * g.kW, bias ? bias[c] : 0.0f, y + t * outPlane);
  });
}

void depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int64_t plane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const int threads = threadsFor(depthwiseFlops(g));
  ThreadPool::instance().parallelFor(g.batch * g.inChannels, threads, [&](int64_t t) {
    const int64_t c = t % g.inChannels;
    depthwiseDataPlane(&g, dy + t * outPlane, w + c * g.kH * g.kW, dx + t * plane);
  });
}

void depthwiseBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int threads = threadsFor(depthwiseFlops(g));
  ThreadPool::instance().parallelFor(g.outChannels, threads, [&](int64_t c) {
    depthwiseFilterChannel(&g, x, dy, c, dw + c * g.kH * g.kW);
  });
}

}  // namespace stride
