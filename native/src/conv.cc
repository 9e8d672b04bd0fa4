// Convolutions as GEMMs whose packers read image patches in place (implicit im2col):
//   forward:          y_g[o, (n,p)]   = W_g[o, (c,ky,kx)] * X_g[(c,ky,kx), (n,p)]
//   backward-filter:  dW_g[o, (c,ky,kx)] = dY_g[o, (n,p)] * X_g[(n,p), (c,ky,kx)]
//   backward-data:    stride 1 is a forward convolution of dY with the flipped, transposed
//                     weights; larger strides compute columns W_g^T * dY_g and scatter them (col2im).
// Depthwise convolutions (one input and one output channel per group) use direct loops instead.
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "multiversion.h"
#include "thread_pool.h"
#include "workspace.h"

namespace stride {

namespace {

struct Dims {
  int64_t cg, og, kk, plane, outPlane;
  explicit Dims(const ConvGeometry& g)
      : cg(g.inChannels / g.groups),
        og(g.outChannels / g.groups),
        kk(g.inChannels / g.groups * g.kH * g.kW),
        plane(g.inH * g.inW),
        outPlane(g.outH * g.outW) {}
};

bool isPointwise(const ConvGeometry& g) {
  return g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0 &&
         g.outH == g.inH && g.outW == g.inW;
}

bool isDepthwise(const ConvGeometry& g) {
  return g.groups > 1 && g.groups == g.inChannels && g.groups == g.outChannels;
}

// Copy `len` values of one input row into dst: dst[t] = row[ix0 + t*sw] where 0 <= index < w,
// zero elsewhere. `row` is null when the whole row lies in the padding.
inline void gatherRow(float* dst, const float* row, int64_t ix0, int64_t sw, int64_t w, int64_t len) {
  if (!row) {
    std::memset(dst, 0, len * sizeof(float));
    return;
  }
  if (sw == 1) {
    const int64_t lo = std::clamp<int64_t>(-ix0, 0, len);
    const int64_t hi = std::clamp<int64_t>(w - ix0, lo, len);
    for (int64_t t = 0; t < lo; t++) dst[t] = 0.0f;
    if (hi > lo) std::memcpy(dst + lo, row + ix0 + lo, (hi - lo) * sizeof(float));
    for (int64_t t = hi; t < len; t++) dst[t] = 0.0f;
    return;
  }
  for (int64_t t = 0; t < len; t++) {
    const int64_t ix = ix0 + t * sw;
    dst[t] = (ix >= 0 && ix < w) ? row[ix] : 0.0f;
  }
}

// A run of output pixels of one image that lie on one output row (or, for pointwise
// convolutions, anywhere in the image: their input pixels are then contiguous too).
struct PixelRun {
  int64_t n, oy, ox, len, offset;
};

// Split output columns [j0, j0 + cols) (column j = n * outPlane + oy * outW + ox) into runs.
int pixelRuns(const ConvGeometry& g, int64_t outPlane, bool pointwise, int64_t j0, int64_t cols, PixelRun* runs) {
  int count = 0;
  int64_t j = j0;
  const int64_t end = j0 + cols;
  while (j < end) {
    const int64_t n = j / outPlane, pix = j % outPlane;
    const int64_t oy = pix / g.outW, ox = pix % g.outW;
    const int64_t room = pointwise ? outPlane - pix : g.outW - ox;
    const int64_t len = std::min(room, end - j);
    runs[count++] = {n, oy, ox, len, j - j0};
    j += len;
  }
  return count;
}

// B of the forward GEMM: B[(c, ky, kx), (n, oy, ox)] = x[n, c0 + c, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw].
class Im2colB final : public BPacker {
 public:
  Im2colB(const ConvGeometry& g, const float* x, int64_t c0)
      : g_(g), d_(g), x_(x), c0_(c0), pointwise_(isPointwise(g)) {}

  void pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const override {
    PixelRun runs[kMaxRuns];
    for (int64_t q = 0; q * nr < nc; q++) {
      const int64_t cols = std::min<int64_t>(nr, nc - q * nr);
      float* panel = dst + q * nr * kc;
      const int nRuns = pixelRuns(g_, d_.outPlane, pointwise_, j0 + q * nr, cols, runs);
      // Decompose k = (c, ky, kx) incrementally.
      int64_t c = p0 / (g_.kH * g_.kW), ky = (p0 / g_.kW) % g_.kH, kx = p0 % g_.kW;
      for (int64_t k = 0; k < kc; k++) {
        float* d = panel + k * nr;
        const float* chan = x_ + (c0_ + c) * d_.plane;
        for (int r = 0; r < nRuns; r++) {
          const PixelRun& run = runs[r];
          const float* img = chan + run.n * g_.inChannels * d_.plane;
          if (pointwise_) {
            std::memcpy(d + run.offset, img + run.oy * g_.outW + run.ox, run.len * sizeof(float));
            continue;
          }
          const int64_t iy = run.oy * g_.strideH - g_.padTop + ky * g_.dilationH;
          const float* row = (iy >= 0 && iy < g_.inH) ? img + iy * g_.inW : nullptr;
          gatherRow(d + run.offset, row, run.ox * g_.strideW - g_.padLeft + kx * g_.dilationW, g_.strideW,
                    g_.inW, run.len);
        }
        for (int64_t t = cols; t < nr; t++) d[t] = 0.0f;
        if (++kx == g_.kW) {
          kx = 0;
          if (++ky == g_.kH) {
            ky = 0;
            c++;
          }
        }
      }
    }
  }

  const float* direct(int64_t p0, int64_t j0, int64_t nc, int64_t* ld) const override {
    if (!pointwise_) return nullptr;
    const int64_t n = j0 / d_.outPlane, pix = j0 % d_.outPlane;
    if (pix + nc > d_.outPlane) return nullptr;
    *ld = d_.plane;
    return x_ + (n * g_.inChannels + c0_ + p0) * d_.plane + pix;
  }

 private:
  static constexpr int kMaxRuns = 64;
  const ConvGeometry& g_;
  Dims d_;
  const float* x_;
  int64_t c0_;
  bool pointwise_;
};

// A of the backward-filter GEMM: A[o, (n, p)] = dy[n, o0 + o, p].
class OutputGradA final : public APacker {
 public:
  OutputGradA(const ConvGeometry& g, const float* dy, int64_t o0) : g_(g), d_(g), dy_(dy), o0_(o0) {}

  void pack(float* dst, int64_t i0, int mr, int64_t p0, int64_t kc) const override {
    int64_t k = p0;
    const int64_t end = p0 + kc;
    while (k < end) {
      const int64_t n = k / d_.outPlane, pix = k % d_.outPlane;
      const int64_t len = std::min(d_.outPlane - pix, end - k);
      const float* src = dy_ + (n * g_.outChannels + o0_ + i0) * d_.outPlane + pix;
      packTransposed(dst + (k - p0) * mr, mr, src, d_.outPlane, mr, len);
      k += len;
    }
  }

 private:
  const ConvGeometry& g_;
  Dims d_;
  const float* dy_;
  int64_t o0_;
};

// B of the backward-filter GEMM: B[(n, oy, ox), (c, ky, kx)] = x[n, c0 + c, iy, ix]. Each block is
// gathered as rows of im2col into scratch and then transposed into panels.
class Im2colTransposedB final : public BPacker {
 public:
  Im2colTransposedB(const ConvGeometry& g, const float* x, int64_t c0)
      : g_(g), d_(g), x_(x), c0_(c0), pointwise_(isPointwise(g)) {}

  void pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const override {
    float* rows = scratch(Slot::Cols, static_cast<size_t>(nc * kc));
    PixelRun runs[kMaxRuns];
    // Columns k of the block split into runs once; every im2col row reuses them.
    int64_t k = p0;
    std::vector<PixelRun>& all = runs_;
    all.clear();
    while (k < p0 + kc) {
      const int nRuns = pixelRuns(g_, d_.outPlane, pointwise_, k, std::min<int64_t>(kMaxRuns, p0 + kc - k), runs);
      for (int r = 0; r < nRuns; r++) {
        PixelRun run = runs[r];
        run.offset += k - p0;
        all.push_back(run);
      }
      k += std::min<int64_t>(kMaxRuns, p0 + kc - k);
    }
    int64_t c = j0 / (g_.kH * g_.kW), ky = (j0 / g_.kW) % g_.kH, kx = j0 % g_.kW;
    for (int64_t j = 0; j < nc; j++) {
      float* d = rows + j * kc;
      const float* chan = x_ + (c0_ + c) * d_.plane;
      for (const PixelRun& run : all) {
        const float* img = chan + run.n * g_.inChannels * d_.plane;
        if (pointwise_) {
          std::memcpy(d + run.offset, img + run.oy * g_.outW + run.ox, run.len * sizeof(float));
          continue;
        }
        const int64_t iy = run.oy * g_.strideH - g_.padTop + ky * g_.dilationH;
        const float* row = (iy >= 0 && iy < g_.inH) ? img + iy * g_.inW : nullptr;
        gatherRow(d + run.offset, row, run.ox * g_.strideW - g_.padLeft + kx * g_.dilationW, g_.strideW, g_.inW,
                  run.len);
      }
      if (++kx == g_.kW) {
        kx = 0;
        if (++ky == g_.kH) {
          ky = 0;
          c++;
        }
      }
    }
    for (int64_t q = 0; q * nr < nc; q++) {
      const int cols = static_cast<int>(std::min<int64_t>(nr, nc - q * nr));
      packTransposed(dst + q * nr * kc, nr, rows + q * nr * kc, kc, cols, kc);
    }
  }

 private:
  static constexpr int kMaxRuns = 64;
  const ConvGeometry& g_;
  Dims d_;
  const float* x_;
  int64_t c0_;
  bool pointwise_;
  static thread_local std::vector<PixelRun> runs_;
};

thread_local std::vector<PixelRun> Im2colTransposedB::runs_;

// ----- Depthwise convolution (groups == in channels == out channels) -----

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

double convFlops(const ConvGeometry& g) {
  const Dims d(g);
  return 2.0 * g.batch * g.outChannels * d.outPlane * d.kk;
}

void addBias(const ConvGeometry& g, const float* bias, float* y) {
  const int64_t outPlane = g.outH * g.outW;
  const int64_t planes = g.batch * g.outChannels;
  const int threads = threadsFor(static_cast<double>(planes * outPlane) * 4);
  ThreadPool::instance().parallelFor(planes, threads, [&](int64_t t) {
    const float b = bias[t % g.outChannels];
    float* p = y + t * outPlane;
    for (int64_t i = 0; i < outPlane; i++) p[i] += b;
  });
}

void forwardGemm(const ConvGeometry& g, const float* x, const float* w, float* y) {
  const Dims d(g);
  for (int64_t grp = 0; grp < g.groups; grp++) {
    DenseA a(w + grp * d.og * d.kk, d.kk, false);
    Im2colB b(g, x, grp * d.cg);
    CLayout c{y + grp * d.og * d.outPlane, d.outPlane, d.outPlane, g.outChannels * d.outPlane};
    gemm({d.og, g.batch * d.outPlane, d.kk, &a, &b, c, false}, numThreads());
  }
}

// Scatter-add one image's columns [(c, ky, kx), (oy, ox)] of group channels [c0, c0 + cg) into dx.
void col2im(const ConvGeometry& g, const float* cols, int64_t c0, int64_t cg, float* dxImage) {
  const int64_t plane = g.inH * g.inW, outPlane = g.outH * g.outW;
  int64_t row = 0;
  for (int64_t c = 0; c < cg; c++) {
    float* chan = dxImage + (c0 + c) * plane;
    for (int64_t ky = 0; ky < g.kH; ky++) {
      for (int64_t kx = 0; kx < g.kW; kx++, row++) {
        const float* src = cols + row * outPlane;
        const int64_t off = kx * g.dilationW - g.padLeft;
        int64_t lo = off >= 0 ? 0 : (-off + g.strideW - 1) / g.strideW;
        int64_t hi = g.inW - off <= 0 ? 0 : (g.inW - off + g.strideW - 1) / g.strideW;
        hi = std::min(hi, g.outW);
        for (int64_t oy = 0; oy < g.outH; oy++) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          if (iy < 0 || iy >= g.inH) continue;
          float* dr = chan + iy * g.inW;
          const float* sr = src + oy * g.outW;
          for (int64_t ox = lo; ox < hi; ox++) dr[ox * g.strideW + off] += sr[ox];
        }
      }
    }
  }
}

}  // namespace

void conv2dForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const Dims d(g);
  if (d.outPlane == 0 || g.batch == 0 || g.outChannels == 0) return;
  if (isDepthwise(g)) {
    const int threads = threadsFor(convFlops(g));
    ThreadPool::instance().parallelFor(g.batch * g.outChannels, threads, [&](int64_t t) {
      const int64_t c = t % g.outChannels;
      depthwisePlane(&g, x + t * d.plane, w + c * g.kH * g.kW, bias ? bias[c] : 0.0f, y + t * d.outPlane);
    });
    return;
  }
  forwardGemm(g, x, w, y);
  if (bias) addBias(g, bias, y);
}

void conv2dBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const Dims d(g);
  const int64_t dxSize = g.batch * g.inChannels * d.plane;
  if (dxSize == 0) return;
  if (d.outPlane == 0 || g.outChannels == 0) {
    std::memset(dx, 0, dxSize * sizeof(float));
    return;
  }
  ThreadPool& pool = ThreadPool::instance();
  if (isDepthwise(g)) {
    const int threads = threadsFor(convFlops(g));
    pool.parallelFor(g.batch * g.inChannels, threads, [&](int64_t t) {
      const int64_t c = t % g.inChannels;
      depthwiseDataPlane(&g, dy + t * d.outPlane, w + c * g.kH * g.kW, dx + t * d.plane);
    });
    return;
  }
  if (g.strideH == 1 && g.strideW == 1) {
    // dx = conv(dy, W') with W'[c][o][ky][kx] = W[o][c][kH-1-ky][kW-1-kx] within each group.
    const int64_t taps = g.kH * g.kW;
    float* wt = scratch(Slot::Extra, static_cast<size_t>(g.inChannels * d.og * taps));
    for (int64_t grp = 0; grp < g.groups; grp++)
      for (int64_t o = 0; o < d.og; o++)
        for (int64_t c = 0; c < d.cg; c++) {
          const float* src = w + ((grp * d.og + o) * d.cg + c) * taps;
          float* dst = wt + ((grp * d.cg + c) * d.og + o) * taps;
          for (int64_t t = 0; t < taps; t++) dst[t] = src[taps - 1 - t];
        }
    ConvGeometry t = g;
    t.inChannels = g.outChannels;
    t.inH = g.outH;
    t.inW = g.outW;
    t.outChannels = g.inChannels;
    t.outH = g.inH;
    t.outW = g.inW;
    t.padTop = g.dilationH * (g.kH - 1) - g.padTop;
    t.padLeft = g.dilationW * (g.kW - 1) - g.padLeft;
    forwardGemm(t, dy, wt, dx);
    return;
  }
  // Strided: per image and group, columns = W_g^T * dY_g, then scatter-add into dx.
  std::memset(dx, 0, dxSize * sizeof(float));
  const int threads = threadsFor(convFlops(g));
  auto image = [&](int64_t n, int gemmThreads) {
    float* cols = scratch(Slot::Cols, static_cast<size_t>(d.kk * d.outPlane));
    for (int64_t grp = 0; grp < g.groups; grp++) {
      DenseA a(w + grp * d.og * d.kk, d.kk, true);
      DenseB b(dy + (n * g.outChannels + grp * d.og) * d.outPlane, d.outPlane, false);
      gemm({d.kk, d.outPlane, d.og, &a, &b, CLayout{cols, d.outPlane, d.outPlane, 0}, false}, gemmThreads);
      col2im(g, cols, grp * d.cg, d.cg, dx + n * g.inChannels * d.plane);
    }
  };
  if (threads > 1 && g.batch >= threads) {
    pool.parallelFor(g.batch, threads, [&](int64_t n) { image(n, 1); });
  } else {
    for (int64_t n = 0; n < g.batch; n++) image(n, threads);
  }
}

void conv2dBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const Dims d(g);
  const int64_t dwSize = g.outChannels * d.kk;
  if (dwSize == 0) return;
  if (d.outPlane == 0 || g.batch == 0) {
    std::memset(dw, 0, dwSize * sizeof(float));
    return;
  }
  if (isDepthwise(g)) {
    const int threads = threadsFor(convFlops(g));
    ThreadPool::instance().parallelFor(g.outChannels, threads, [&](int64_t c) {
      depthwiseFilterChannel(&g, x, dy, c, dw + c * g.kH * g.kW);
    });
    return;
  }
  for (int64_t grp = 0; grp < g.groups; grp++) {
    OutputGradA a(g, dy, grp * d.og);
    Im2colTransposedB b(g, x, grp * d.cg);
    CLayout c{dw + grp * d.og * d.kk, d.kk, d.kk, 0};
    gemm({d.og, d.kk, g.batch * d.outPlane, &a, &b, c, false}, numThreads());
  }
}

}  // namespace stride
