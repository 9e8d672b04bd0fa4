// A zero-padded copy of a convolution's input (stride 1 along W), shared by the indirect GEMM
// paths (conv.cc) and the small-channel direct kernels (conv_small_channels.cc).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "conv.h"
#include "thread_pool.h"
#include "workspace.h"

namespace stride {

// A zero-padded copy of the input in the calling thread's Pad scratch: plane (n, c) holds
// hp x wp values with xpad[py][px] = x[py - padTop][px - padLeft] inside the input, else 0, where
// hp and wp cover every window of the output (stride 1 along W).
struct PaddedInput {
  int64_t hp, wp, plane;
  const float* data;

  PaddedInput(const ConvGeometry& g, const float* x, int threads) {
    hp = (g.outH - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1;
    wp = g.outW + (g.kW - 1) * g.dilationW;
    plane = hp * wp;
    const int64_t inPlane = g.inH * g.inW;
    // Unpadded with the input's exact extent (1x1 stride-1 convolutions, "valid" ones that use
    // every row and column): the padded copy would equal the input, so it is read in place.
    if (g.padTop == 0 && g.padLeft == 0 && hp == g.inH && wp == g.inW) {
      data = x;
      return;
    }
    float* xpad = scratch(Slot::Pad, static_cast<size_t>(g.batch * g.inChannels * plane));
    const int64_t h = hp, w = wp, pp = plane;
    ThreadPool::instance().parallelFor(g.batch * g.inChannels, threads, [&](int64_t t) {
      const float* src = x + t * inPlane;
      float* dst = xpad + t * pp;
      const int64_t lo = std::clamp<int64_t>(g.padLeft, 0, w);
      const int64_t hi = std::clamp<int64_t>(g.padLeft + g.inW, lo, w);
      for (int64_t py = 0; py < h; py++) {
        float* row = dst + py * w;
        const int64_t iy = py - g.padTop;
        if (iy < 0 || iy >= g.inH) {
          std::memset(row, 0, w * sizeof(float));
          continue;
        }
        std::memset(row, 0, lo * sizeof(float));
        std::memcpy(row + lo, src + iy * g.inW + (lo - g.padLeft), (hi - lo) * sizeof(float));
        std::memset(row + hi, 0, (w - hi) * sizeof(float));
      }
    });
    data = xpad;
  }
};

}  // namespace stride
