// Convolutions as GEMMs whose packers read image patches in place (implicit im2col):
//   forward:          y_g[o, (n,p)]   = W_g[o, (c,ky,kx)] * X_g[(c,ky,kx), (n,p)]
//   backward-filter:  dW_g[o, (c,ky,kx)] = dY_g[o, (n,p)] * X_g[(n,p), (c,ky,kx)]
//   backward-data:    stride 1 is a forward convolution of dY with the flipped, transposed
//                     weights; larger strides compute columns W_g^T * dY_g and scatter them (col2im).
// 3x3 stride-1 convolutions with enough channels run through Winograd F(4x4, 3x3) instead
// (winograd.cc), forward and the stride-1 backward-data alike.
// Depthwise convolutions (one input and one output channel per group) run in depthwise.cc, and
// stride-1 layers of at most 32 output channels by direct convolution (conv_small_channels.cc).
#include "conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "conv_direct.h"
#include "conv_pointwise.h"
#include "conv_small_channels.h"
#include "depthwise.h"
#include "gemm.h"
#include "multiversion.h"
#include "padded_input.h"
#include "thread_pool.h"
#include "winograd.h"
#include "workspace.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

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

// The im2col view of one group's input: row k = (c, ky, kx), column j = (n, oy, ox) holds
// x[n, c0 + c, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw] (zero in the padding). Pointwise
// convolutions are viewed as one image row of `plane` pixels so that whole images copy in runs.
struct PatchView {
  const float* x;
  int64_t imageStride;  // elements per input image
  int64_t plane;        // elements per input channel
  int64_t h, w;         // input rows and columns (1 and plane for pointwise)
  int64_t outW;         // output columns (plane for pointwise)
  int64_t outPlane;     // output pixels per image
  int64_t sh, sw, pt, pl, dh, dw, kH, kW;
  bool pointwise;

  PatchView(const ConvGeometry& g, const float* base, int64_t c0) {
    plane = g.inH * g.inW;
    x = base + c0 * plane;
    imageStride = g.inChannels * plane;
    outPlane = g.outH * g.outW;
    kH = g.kH;
    kW = g.kW;
    pointwise = isPointwise(g);
    if (pointwise) {
      h = 1, w = plane, outW = plane;
      sh = sw = 1, pt = pl = 0, dh = dw = 0;
    } else {
      h = g.inH, w = g.inW, outW = g.outW;
      sh = g.strideH, sw = g.strideW, pt = g.padTop, pl = g.padLeft, dh = g.dilationH, dw = g.dilationW;
    }
  }
};

// Output pixels [j0, j0 + cols) split into runs that stay on one output row of one image; each
// run knows where its first pixel's window starts in the input (tap (0, 0)).
struct PixelRun {
  const float* image;  // start of the image
  int64_t iy0, ix0;    // input position of tap (0, 0) for the run's first pixel
  int64_t len, offset;
};

int pixelRuns(const PatchView& v, int64_t j0, int64_t cols, PixelRun* runs) {
  int count = 0;
  int64_t j = j0;
  const int64_t end = j0 + cols;
  while (j < end) {
    const int64_t n = j / v.outPlane, pix = j % v.outPlane;
    const int64_t oy = pix / v.outW, ox = pix % v.outW;
    const int64_t len = std::min(v.outW - ox, end - j);
    runs[count++] = {v.x + n * v.imageStride, oy * v.sh - v.pt, ox * v.sw - v.pl, len, j - j0};
    j += len;
  }
  return count;
}

// Gather the runs of one im2col row (tap c, ky, kx) into dst.
STRIDE_INLINE void gatherRuns(const PatchView& v, const PixelRun* runs, int nRuns, int64_t c, int64_t ky,
                              int64_t kx, float* dst) {
  const int64_t chanOff = c * v.plane, tapY = ky * v.dh, tapX = kx * v.dw;
  for (int r = 0; r < nRuns; r++) {
    const PixelRun& run = runs[r];
    float* d = dst + run.offset;
    const int64_t len = run.len;
    const int64_t iy = run.iy0 + tapY;
    if (iy < 0 || iy >= v.h) {
      for (int64_t t = 0; t < len; t++) d[t] = 0.0f;
      continue;
    }
    const float* src = run.image + chanOff + iy * v.w;
    const int64_t ix0 = run.ix0 + tapX;
    if (v.sw == 1) {
      const int64_t lo = std::clamp<int64_t>(-ix0, 0, len);
      const int64_t hi = std::clamp<int64_t>(v.w - ix0, lo, len);
      for (int64_t t = 0; t < lo; t++) d[t] = 0.0f;
      const float* s = src + ix0;
      for (int64_t t = lo; t < hi; t++) d[t] = s[t];
      for (int64_t t = hi; t < len; t++) d[t] = 0.0f;
    } else {
      for (int64_t t = 0; t < len; t++) {
        const int64_t ix = ix0 + t * v.sw;
        d[t] = (ix >= 0 && ix < v.w) ? src[ix] : 0.0f;
      }
    }
  }
}

// One packed B panel of the forward GEMM: rows k in [p0, p0 + kc), `cols` valid columns of nr.
STRIDE_INLINE void im2colPanelImpl(const PatchView* v, const PixelRun* runs, int nRuns, int64_t p0, int64_t kc,
                                   int64_t cols, int nr, float* panel) {
  const int64_t taps = v->kH * v->kW;
  int64_t c = p0 / taps, ky = (p0 / v->kW) % v->kH, kx = p0 % v->kW;
  for (int64_t k = 0; k < kc; k++) {
    float* d = panel + k * nr;
    gatherRuns(*v, runs, nRuns, c, ky, kx, d);
    for (int64_t t = cols; t < nr; t++) d[t] = 0.0f;
    if (++kx == v->kW) {
      kx = 0;
      if (++ky == v->kH) {
        ky = 0;
        c++;
      }
    }
  }
}
STRIDE_MULTIVERSION(im2colPanelGeneric, im2colPanelImpl)

// Rows j in [j0, j0 + nc) of the im2col matrix over the pixel columns the runs cover, row-major
// with row stride ld.
STRIDE_INLINE void im2colRowsImpl(const PatchView* v, const PixelRun* runs, int nRuns, int64_t j0, int64_t nc,
                                  int64_t ld, float* rows) {
  const int64_t taps = v->kH * v->kW;
  int64_t c = j0 / taps, ky = (j0 / v->kW) % v->kH, kx = j0 % v->kW;
  for (int64_t j = 0; j < nc; j++) {
    gatherRuns(*v, runs, nRuns, c, ky, kx, rows + j * ld);
    if (++kx == v->kW) {
      kx = 0;
      if (++ky == v->kH) {
        ky = 0;
        c++;
      }
    }
  }
}
STRIDE_MULTIVERSION(im2colRowsGeneric, im2colRowsImpl)

#if STRIDE_X86
// AVX-512 gathers: every run of an im2col row becomes masked loads (lanes outside the input are
// neither read nor kept) and masked stores, with no per-element bounds checks. Stride 2 loads 32
// input values and keeps the even ones with one permute.
STRIDE_TARGET_AVX512 inline void gatherRun512(float* dst, const float* row, int64_t ix0, int64_t sw, int64_t w,
                                             int64_t len) {
  for (int64_t t0 = 0; t0 < len; t0 += 16) {
    const int n = static_cast<int>(std::min<int64_t>(16, len - t0));
    const __mmask16 out = static_cast<__mmask16>((1u << n) - 1);
    if (!row) {
      _mm512_mask_storeu_ps(dst + t0, out, _mm512_setzero_ps());
      continue;
    }
    if (sw == 1) {
      const int64_t start = ix0 + t0;
      const int64_t lo = std::clamp<int64_t>(-start, 0, n), hi = std::clamp<int64_t>(w - start, 0, n);
      const __mmask16 in = hi > lo ? static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1)) : 0;
      _mm512_mask_storeu_ps(dst + t0, out, _mm512_maskz_loadu_ps(in, row + start));
    } else {  // sw == 2
      const int64_t start = ix0 + 2 * t0;
      const int64_t span = 2 * static_cast<int64_t>(n) - 1;
      const int64_t lo = std::clamp<int64_t>(-start, 0, span), hi = std::clamp<int64_t>(w - start, 0, span);
      const uint32_t in = hi > lo ? static_cast<uint32_t>(((1ull << hi) - 1) & ~((1ull << lo) - 1)) : 0u;
      const __m512 a = _mm512_maskz_loadu_ps(static_cast<__mmask16>(in & 0xFFFF), row + start);
      const __m512 b = _mm512_maskz_loadu_ps(static_cast<__mmask16>(in >> 16), row + start + 16);
      const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      _mm512_mask_storeu_ps(dst + t0, out, _mm512_permutex2var_ps(a, even, b));
    }
  }
}

STRIDE_TARGET_AVX512 inline void gatherRuns512(const PatchView& v, const PixelRun* runs, int nRuns, int64_t c,
                                               int64_t ky, int64_t kx, float* dst) {
  const int64_t chanOff = c * v.plane, tapY = ky * v.dh, tapX = kx * v.dw;
  for (int r = 0; r < nRuns; r++) {
    const PixelRun& run = runs[r];
    const int64_t iy = run.iy0 + tapY;
    const float* row = (iy >= 0 && iy < v.h) ? run.image + chanOff + iy * v.w : nullptr;
    gatherRun512(dst + run.offset, row, run.ix0 + tapX, v.sw, v.w, run.len);
  }
}

STRIDE_TARGET_AVX512 void im2colPanel512(const PatchView* v, const PixelRun* runs, int nRuns, int64_t p0, int64_t kc,
                                         int64_t cols, int nr, float* panel) {
  const int64_t taps = v->kH * v->kW;
  int64_t c = p0 / taps, ky = (p0 / v->kW) % v->kH, kx = p0 % v->kW;
  for (int64_t k = 0; k < kc; k++) {
    float* d = panel + k * nr;
    gatherRuns512(*v, runs, nRuns, c, ky, kx, d);
    for (int64_t t = cols; t < nr; t++) d[t] = 0.0f;
    if (++kx == v->kW) {
      kx = 0;
      if (++ky == v->kH) {
        ky = 0;
        c++;
      }
    }
  }
}

STRIDE_TARGET_AVX512 void im2colRows512(const PatchView* v, const PixelRun* runs, int nRuns, int64_t j0, int64_t nc,
                                        int64_t ld, float* rows) {
  const int64_t taps = v->kH * v->kW;
  int64_t c = j0 / taps, ky = (j0 / v->kW) % v->kH, kx = j0 % v->kW;
  for (int64_t j = 0; j < nc; j++) {
    gatherRuns512(*v, runs, nRuns, c, ky, kx, rows + j * ld);
    if (++kx == v->kW) {
      kx = 0;
      if (++ky == v->kH) {
        ky = 0;
        c++;
      }
    }
  }
}
#endif  // STRIDE_X86

// Packs one forward-GEMM panel (see im2colPanelImpl), with the AVX-512 gathers where they apply.
void im2colPanel(const PatchView* v, const PixelRun* runs, int nRuns, int64_t p0, int64_t kc, int64_t cols, int nr,
                 float* panel) {
#if STRIDE_X86
  if (activeIsa() == Isa::Avx512 && v->sw <= 2) return im2colPanel512(v, runs, nRuns, p0, kc, cols, nr, panel);
#endif
  im2colPanelGeneric(v, runs, nRuns, p0, kc, cols, nr, panel);
}

// Gathers im2col rows (see im2colRowsImpl), with the AVX-512 gathers where they apply.
void im2colRows(const PatchView* v, const PixelRun* runs, int nRuns, int64_t j0, int64_t nc, int64_t ld,
                float* rows) {
#if STRIDE_X86
  if (activeIsa() == Isa::Avx512 && v->sw <= 2) return im2colRows512(v, runs, nRuns, j0, nc, ld, rows);
#endif
  im2colRowsGeneric(v, runs, nRuns, j0, nc, ld, rows);
}

// B of the forward GEMM: B[(c, ky, kx), (n, oy, ox)], the im2col matrix of one group.
class Im2colB final : public BPacker {
 public:
  Im2colB(const ConvGeometry& g, const float* x, int64_t c0) : v_(g, x, c0) {}

  void pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const override {
    PixelRun runs[kMaxRuns];
    for (int64_t q = 0; q * nr < nc; q++) {
      const int64_t cols = std::min<int64_t>(nr, nc - q * nr);
      const int nRuns = pixelRuns(v_, j0 + q * nr, cols, runs);
      im2colPanel(&v_, static_cast<const PixelRun*>(runs), nRuns, p0, kc, cols, nr, dst + q * nr * kc);
    }
  }

  const float* direct(int64_t p0, int64_t j0, int64_t nc, int64_t* ld) const override {
    if (!v_.pointwise) return nullptr;
    const int64_t n = j0 / v_.outPlane, pix = j0 % v_.outPlane;
    if (pix + nc > v_.outPlane) return nullptr;
    *ld = v_.plane;
    return v_.x + n * v_.imageStride + p0 * v_.plane + pix;
  }

 private:
  static constexpr int kMaxRuns = 64;  // a panel has at most 32 columns, so at most 32 runs
  PatchView v_;
};

// Channel rows of a batch of images seen as one matrix: B[r, (n, p)] = base[n*imageStride + r*P + p].
class ImageRowsB final : public BPacker {
 public:
  ImageRowsB(const float* base, int64_t pixels, int64_t imageStride)
      : base_(base), pixels_(pixels), imageStride_(imageStride) {}

  void pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const override {
    for (int64_t q = 0; q * nr < nc; q++) {
      const int64_t cols = std::min<int64_t>(nr, nc - q * nr);
      float* panel = dst + q * nr * kc;
      // Runs within one image each; every run zero-fills the panel past its end and the next
      // run overwrites its own part.
      for (int64_t done = 0, j = j0 + q * nr; done < cols;) {
        const int64_t n = j / pixels_, pix = j % pixels_;
        const int64_t len = std::min(pixels_ - pix, cols - done);
        packPanelRows(panel + done, nr, base_ + n * imageStride_ + p0 * pixels_ + pix, pixels_, kc,
                      static_cast<int>(len), static_cast<int>(nr - done));
        done += len;
        j += len;
      }
    }
  }

  const float* direct(int64_t p0, int64_t j0, int64_t nc, int64_t* ld) const override {
    const int64_t n = j0 / pixels_, pix = j0 % pixels_;
    if (pix + nc > pixels_) return nullptr;
    *ld = pixels_;
    return base_ + n * imageStride_ + p0 * pixels_ + pix;
  }

 private:
  const float* base_;
  int64_t pixels_, imageStride_;
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

// B of the backward-filter GEMM: B[(n, oy, ox), (c, ky, kx)], the transposed im2col matrix. Each
// block is gathered as im2col rows into scratch and then transposed into panels.
class Im2colTransposedB final : public BPacker {
 public:
  Im2colTransposedB(const ConvGeometry& g, const float* x, int64_t c0) : v_(g, x, c0) {}

  void pack(float* dst, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr) const override {
    float* rows = scratch(Slot::Cols, static_cast<size_t>(nc * kc));
    // A block of kc pixel columns splits into at most kc runs.
    thread_local std::vector<PixelRun> runs;
    if (runs.size() < static_cast<size_t>(kc)) runs.resize(kc);
    const int nRuns = pixelRuns(v_, p0, kc, runs.data());
    im2colRows(&v_, static_cast<const PixelRun*>(runs.data()), nRuns, j0, nc, kc, rows);
    for (int64_t q = 0; q * nr < nc; q++) {
      const int cols = static_cast<int>(std::min<int64_t>(nr, nc - q * nr));
      packTransposed(dst + q * nr * kc, nr, rows + q * nr * kc, kc, cols, kc);
    }
  }

 private:
  PatchView v_;
};

// Column buffers of the col2im path aim at this many floats (1 MiB, about half an L2).
constexpr int64_t kColumnsTarget = 256 * 1024;

double convFlops(const ConvGeometry& g) {
  const Dims d(g);
  return 2.0 * g.batch * g.outChannels * d.outPlane * d.kk;
}

bool hasEpilogue(const ConvEpilogue* e) { return e && (e->bias || e->residual || e->relu); }

// The epilogue on `len` outputs of channel o starting at y[at]: + bias[o], + residual[at + i], ReLU.
void epilogueRun(const ConvEpilogue& e, int64_t o, float* y, int64_t at, int64_t len) {
  float* d = y + at;
  const float b = e.bias ? e.bias[o] : 0.0f;
  const float floor = e.relu ? 0.0f : -INFINITY;
  if (e.residual) {
    const float* r = e.residual + at;
    for (int64_t i = 0; i < len; i++) d[i] = std::max(d[i] + b + r[i], floor);
  } else {
    for (int64_t i = 0; i < len; i++) d[i] = std::max(d[i] + b, floor);
  }
}

// The epilogue over all of y, plane by plane (for paths that write y without it).
void epiloguePass(const ConvGeometry& g, const ConvEpilogue& e, float* y) {
  const int64_t outPlane = g.outH * g.outW;
  const int64_t planes = g.batch * g.outChannels;
  const int threads = threadsFor(static_cast<double>(planes * outPlane) * 4);
  ThreadPool::instance().parallelFor(planes, threads,
                                     [&](int64_t t) { epilogueRun(e, t % g.outChannels, y, t * outPlane, outPlane); });
}

// Offsets of the taps k = (c, ky, kx) of one group within a padded image: c * plane + ky*dh*wp + kx*dw.
std::vector<int64_t> tapOffsets(const ConvGeometry& g, int64_t cg, int64_t plane, int64_t wp) {
  std::vector<int64_t> off(cg * g.kH * g.kW);
  for (int64_t c = 0, k = 0; c < cg; c++)
    for (int64_t ky = 0; ky < g.kH; ky++)
      for (int64_t kx = 0; kx < g.kW; kx++) off[k++] = c * plane + ky * g.dilationH * wp + kx * g.dilationW;
  return off;
}

// Lane use of the indirect path's two tilings. Rows: tiles of up to 32 consecutive pixels of one
// output row, so narrow outputs waste lanes (a tile of at most 16 columns also runs the half-width
// kernel, measured at about 0.6 of the full one). Grid (stride 1 only): output pixel (oy, ox)
// reads the padded input at oy * wp + ox + tap, so once each output row is extended to the padded
// width wp, consecutive pixels of consecutive rows sit at consecutive addresses; tiles of 32 run
// along that grid and the wp - outW extra pixels per row are computed and dropped.
double rowLanes(const ConvGeometry& g) {
  const double tiles = std::ceil(static_cast<double>(g.outW) / 32.0);
  return g.outW > 16 ? g.outW / (32.0 * tiles) : 0.6 * g.outW / 16.0;
}

double gridLanes(const ConvGeometry& g) {
  if (g.strideH != 1 || g.strideW != 1) return 0.0;
  const int64_t wp = g.outW + (g.kW - 1) * g.dilationW;
  const double span = static_cast<double>((g.outH - 1) * wp + g.outW);
  const double tiles = std::ceil(span / 32.0);
  const double full = span >= 32.0 ? 1.0 : (span > 16.0 ? 1.0 : 0.6);
  return full * static_cast<double>(g.outH * g.outW) / (32.0 * tiles);
}

// Whether the grid tiling should beat the row tiling. Measured on AVX-512, the half-width kernel
// on rows of at most 16 pixels keeps close to full speed per useful lane (16x16 outputs ran 1.2x
// faster by rows than by grid), and on wide rows the two tie, so the grid is taken only for narrow
// outputs whose rows leave most lanes idle (8x8: 2-3x faster than by rows; 7x7).
bool gridBeatsRows(const ConvGeometry& g) {
  const double rows = g.outW > 16 ? rowLanes(g) : g.outW / 16.0;
  return gridLanes(g) > 1.15 * rows;
}

// Whether the indirect path below should beat im2col + GEMM. Im2col packing costs about one
// cycle per packed value against 2 * outChannels flops at about 64 flops per cycle, so it hurts
// convolutions with few output channels most.
bool preferIndirect(const ConvGeometry& g) {
  const Dims d(g);
  const double packed = 1.0 / (1.0 + 32.0 / static_cast<double>(d.og));
  return std::max(rowLanes(g), gridLanes(g)) >= packed;
}

#if defined(__wasm_simd128__)
// Whether the indirect path (or, strided, the phase planes) should beat im2col + GEMM in the
// WebAssembly build: only for few taps (one k-block), where packing costs most next to the GEMM
// and the planes the kernel reads in place stay in cache. Measured in Node (1 thread, two builds
// side by side): ResNet-18's 7x7 stride-2 stem (147 taps) ran 1.2-1.9x as fast by phase planes,
// while its 3x3 stride-2 layers (576-2304 taps) ran 1.0-2.4x as fast by im2col + GEMM, whose
// packed B panel stays in L1 while the indirect kernel's rows came from other planes in L2.
bool preferIndirectWasm(const ConvGeometry& g) {
  return g.groups == 1 && g.kH * g.kW > 1 && g.inChannels * g.kH * g.kW <= gemmKc();
}
#endif

// What the indirect kernel reads as B: for image n, group grp and output pixel (oy, ox) of a
// stride-1-along-W geometry, row k starts at
//   data + n*imageStride + grp*groupStride + oy*strideH*wp + ox + off[k]
// and the weights of each group are a dense [og][kk] matrix. A zero-padded input has kk =
// (c, ky, kx) taps (tapOffsets); forwardPhases lists only the real taps of a strided kernel.
struct IndirectInput {
  const float* data;
  int64_t wp, imageStride, groupStride;
  const int64_t* off;
  int64_t kk;
};

// The grid tiling of runIndirect (see gridLanes): stride 1, tiles of 32 consecutive pixels of
// the output extended to the padded width, computed into a per-thread tile and copied out without
// the extra columns.
void runIndirectGrid(const ConvGeometry& g, const IndirectInput& in, const float* packedAll, int64_t packedStride,
                     IndirectKernelFn kernel, int threads, const ConvEpilogue* e, float* y) {
  const bool epilogue = hasEpilogue(e);
  const Dims d(g);
  const int64_t kk = in.kk, wp = in.wp;
  const int64_t kcMax = gemmKc();
  const RowPanels panels(d.og, gemmMr());
  const int64_t kBlocks = (kk + kcMax - 1) / kcMax;
  const int64_t span = (g.outH - 1) * wp + g.outW;
  const int64_t tiles = (span + 31) / 32;
  for (int64_t grp = 0; grp < g.groups; grp++) {
    const float* packed = packedAll + grp * packedStride;
    ThreadPool::instance().parallelFor(g.batch * tiles, threads, [&](int64_t t) {
      const int64_t n = t / tiles, q0 = (t % tiles) * 32;
      const int tw = static_cast<int>(std::min<int64_t>(32, span - q0));
      const float* base = in.data + n * in.imageStride + grp * in.groupStride + q0;
      thread_local std::vector<float> tile;
      if (tile.size() < static_cast<size_t>(d.og * 32)) tile.resize(d.og * 32);
      for (int64_t pb = 0; pb < kBlocks; pb++) {
        const int64_t p0 = pb * kcMax, kc = std::min(kcMax, kk - p0);
        for (int64_t i = 0; i < panels.count; i++) {
          const int64_t r0 = panels.start(i);
          kernel(panels.rows(i), tw, kc, packed + p0 * d.og + r0 * kc, base, in.off + p0, tile.data() + r0 * 32, 32,
                 pb > 0);
        }
      }
      // Copy the tile's pixels that lie inside output rows (ox < outW) into y.
      float* yImage = y + (n * g.outChannels + grp * d.og) * d.outPlane;
      for (int64_t j = 0; j < tw;) {
        const int64_t q = q0 + j, oy = q / wp, ox = q % wp;
        const int64_t len = std::min<int64_t>(tw - j, wp - ox);
        const int64_t valid = std::max<int64_t>(0, std::min(len, g.outW - ox));
        if (valid > 0) {
          for (int64_t r = 0; r < d.og; r++) {
            float* dst = yImage + r * d.outPlane + oy * g.outW + ox;
            std::memcpy(dst, tile.data() + r * 32 + j, valid * sizeof(float));
            if (epilogue) epilogueRun(*e, grp * d.og + r, y, dst - y, valid);
          }
        }
        j += len;
      }
    });
  }
}

// The indirect convolution of `in` (AVX-512 only: the caller checks), by rows or by grid. The
// weights come packed (packAllA's layout, group after group, packedStride floats apart) or, when
// `prepacked` is null, are packed here from w.
void runIndirect(const ConvGeometry& g, const IndirectInput& in, const float* w, const float* prepacked,
                 const ConvEpilogue* e, float* y) {
#if defined(__wasm_simd128__)
  const IndirectKernelFn kernel = indirectKernelWasmSimd();
#else
  const IndirectKernelFn kernel = indirectKernelAvx512();
#endif
  const Dims d(g);
  const int64_t kk = in.kk, wp = in.wp;
  const int threads = threadsFor(convFlops(g));
  const int mr = gemmMr();
  const int64_t packedStride = d.og * kk;
  if (!prepacked) {
    float* dst = scratch(Slot::PackA, static_cast<size_t>(g.groups * packedStride));
    for (int64_t grp = 0; grp < g.groups; grp++)
      packAllAInto(DenseA(w + grp * packedStride, kk, false), d.og, kk, mr, threads, dst + grp * packedStride);
    prepacked = dst;
  }
#if !defined(__wasm_simd128__)
  // (The WebAssembly kernel's tiles are 8 columns wide: rows of any width fill them well enough.)
  if (gridBeatsRows(g)) return runIndirectGrid(g, in, prepacked, packedStride, kernel, threads, e, y);
#endif
  const int64_t kcMax = gemmKc();
  const RowPanels panels(d.og, mr);
  const int64_t kBlocks = (kk + kcMax - 1) / kcMax;
  const bool epilogue = hasEpilogue(e);
  for (int64_t grp = 0; grp < g.groups; grp++) {
    const float* packed = prepacked + grp * packedStride;
    ThreadPool::instance().parallelFor(g.batch * g.outH, threads, [&](int64_t t) {
      const int64_t n = t / g.outH, oy = t % g.outH;
      const float* rowBase = in.data + n * in.imageStride + grp * in.groupStride + oy * g.strideH * wp;
      float* yRow = y + (n * g.outChannels + grp * d.og) * d.outPlane + oy * g.outW;
      for (int64_t ox0 = 0; ox0 < g.outW; ox0 += 32) {
        const int tw = static_cast<int>(std::min<int64_t>(32, g.outW - ox0));
        for (int64_t pb = 0; pb < kBlocks; pb++) {
          const int64_t p0 = pb * kcMax, kc = std::min(kcMax, kk - p0);
          for (int64_t i = 0; i < panels.count; i++) {
            const int64_t r0 = panels.start(i);
            kernel(panels.rows(i), tw, kc, packed + p0 * d.og + r0 * kc, rowBase + ox0, in.off + p0,
                   yRow + r0 * d.outPlane + ox0, d.outPlane, pb > 0);
          }
        }
        // The tile's outputs are still in cache: finish them here.
        if (epilogue)
          for (int64_t r = 0; r < d.og; r++) epilogueRun(*e, grp * d.og + r, y, yRow + r * d.outPlane + ox0 - y, tw);
      }
    });
  }
}

// Forward convolution without im2col: on AVX-512, with stride 1 along W, the GEMM micro-kernel
// reads B rows straight from a zero-padded copy of the input through a table of tap offsets.
// Returns false when it does not apply or should lose to the packed path. `prepacked` (or null)
// holds the weights already packed group after group (see PackedConvWeights).
bool forwardIndirect(const ConvGeometry& g, const float* x, const float* w, const float* prepacked,
                     const ConvEpilogue* e, float* y) {
#if defined(__wasm_simd128__)
  if (g.strideW != 1 || !preferIndirectWasm(g)) return false;
#else
  if (activeIsa() != Isa::Avx512 || g.strideW != 1 || !preferIndirect(g)) return false;
  if (!indirectKernelAvx512()) return false;
#endif
  const Dims d(g);
  const PaddedInput pad(g, x, threadsFor(convFlops(g)));
  // Tap offsets: B row k = (c, ky, kx) of a tile starts at tileBase + off[k].
  const std::vector<int64_t> off = tapOffsets(g, d.cg, pad.plane, pad.wp);
  const IndirectInput in{pad.data, pad.wp, g.inChannels * pad.plane, d.cg * pad.plane, off.data(), d.kk};
  runIndirect(g, in, w, prepacked, e, y);
  return true;
}


#if STRIDE_X86
// ----- Filter gradient as dot products along output rows (AVX-512) -----
//
// dW[o, (c, ky, kx)] = sum over n, oy, ox of dy[n, o, oy, ox] * xpad[n, c, oy*sh + ky*dh, ox + kx*dw].
// With stride 1 along W both factors are contiguous along ox, so a tile of 4 output channels x 6
// taps keeps 24 vector accumulators over 16 pixels at a time and needs no packing or transposing;
// each accumulator is summed across its lanes once per tile.

struct FilterDotArgs {
  const float* dy;    // dy of image 0, channel o0 of the group
  const float* xpad;  // padded input of image 0, channel c0 of the group
  const int64_t* off; // tap offsets within a padded image
  int64_t batch, outH, outW, outPlane, dyImage, xImage, rowStep;  // rowStep = sh * wp
  int64_t kk;         // taps per output channel (dw row length)
};

template <int MO, int NJ>
STRIDE_TARGET_AVX512 void filterDotTile(const FilterDotArgs& a, int64_t o0, int64_t j0, float* dw) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00;
  __m512 c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00, c15 = c00;
  __m512 c20 = c00, c21 = c00, c22 = c00, c23 = c00, c24 = c00, c25 = c00;
  __m512 c30 = c00, c31 = c00, c32 = c00, c33 = c00, c34 = c00, c35 = c00;
  const int64_t chunks = (a.outW + 15) / 16;
  const int tail = static_cast<int>(a.outW - (chunks - 1) * 16);
  const __mmask16 last = static_cast<__mmask16>((1u << tail) - 1);
  for (int64_t n = 0; n < a.batch; n++) {
    const float* dyImg = a.dy + n * a.dyImage + o0 * a.outPlane;
    const float* xImg = a.xpad + n * a.xImage;
    for (int64_t oy = 0; oy < a.outH; oy++) {
      const float* d = dyImg + oy * a.outW;
      const float* x = xImg + oy * a.rowStep;
#define STRIDE_XPTR(j) const float* x##j = NJ > j ? x + a.off[j0 + j] : x;
      STRIDE_XPTR(0) STRIDE_XPTR(1) STRIDE_XPTR(2) STRIDE_XPTR(3) STRIDE_XPTR(4) STRIDE_XPTR(5)
#undef STRIDE_XPTR
      for (int64_t q = 0; q < chunks; q++) {
        const __mmask16 m = q + 1 < chunks ? static_cast<__mmask16>(0xFFFF) : last;
        const int64_t t = q * 16;
        __m512 d0, d1, d2, d3;
        d0 = _mm512_maskz_loadu_ps(m, d + t);
        if constexpr (MO > 1) d1 = _mm512_maskz_loadu_ps(m, d + a.outPlane + t);
        if constexpr (MO > 2) d2 = _mm512_maskz_loadu_ps(m, d + 2 * a.outPlane + t);
        if constexpr (MO > 3) d3 = _mm512_maskz_loadu_ps(m, d + 3 * a.outPlane + t);
#define STRIDE_TAP(j)                                              \
  if constexpr (NJ > j) {                                          \
    const __m512 xv = _mm512_maskz_loadu_ps(m, x##j + t);          \
    c0##j = _mm512_fmadd_ps(d0, xv, c0##j);                        \
    if constexpr (MO > 1) c1##j = _mm512_fmadd_ps(d1, xv, c1##j);  \
    if constexpr (MO > 2) c2##j = _mm512_fmadd_ps(d2, xv, c2##j);  \
    if constexpr (MO > 3) c3##j = _mm512_fmadd_ps(d3, xv, c3##j);  \
  }
        STRIDE_TAP(0) STRIDE_TAP(1) STRIDE_TAP(2) STRIDE_TAP(3) STRIDE_TAP(4) STRIDE_TAP(5)
#undef STRIDE_TAP
      }
    }
  }
#define STRIDE_OUT(o, j) \
  if constexpr (MO > o && NJ > j) dw[(o0 + o) * a.kk + j0 + j] = _mm512_reduce_add_ps(c##o##j);
#define STRIDE_OUT_ROW(o) STRIDE_OUT(o, 0) STRIDE_OUT(o, 1) STRIDE_OUT(o, 2) STRIDE_OUT(o, 3) STRIDE_OUT(o, 4) STRIDE_OUT(o, 5)
  STRIDE_OUT_ROW(0) STRIDE_OUT_ROW(1) STRIDE_OUT_ROW(2) STRIDE_OUT_ROW(3)
#undef STRIDE_OUT_ROW
#undef STRIDE_OUT
}

template <int MO>
STRIDE_TARGET_AVX512 void filterDotRows(const FilterDotArgs& a, int64_t o0, int64_t j0, int nj, float* dw) {
  switch (nj) {
    case 6: return filterDotTile<MO, 6>(a, o0, j0, dw);
    case 5: return filterDotTile<MO, 5>(a, o0, j0, dw);
    case 4: return filterDotTile<MO, 4>(a, o0, j0, dw);
    case 3: return filterDotTile<MO, 3>(a, o0, j0, dw);
    case 2: return filterDotTile<MO, 2>(a, o0, j0, dw);
    default: return filterDotTile<MO, 1>(a, o0, j0, dw);
  }
}

STRIDE_TARGET_AVX512 void filterDot(const FilterDotArgs& a, int64_t o0, int mo, int64_t j0, int nj, float* dw) {
  switch (mo) {
    case 4: return filterDotRows<4>(a, o0, j0, nj, dw);
    case 3: return filterDotRows<3>(a, o0, j0, nj, dw);
    case 2: return filterDotRows<2>(a, o0, j0, nj, dw);
    default: return filterDotRows<1>(a, o0, j0, nj, dw);
  }
}
#endif  // STRIDE_X86

// Lane use of the dot-product filter gradient, 16 pixels at a time. Rows: along each output row.
// Grid (stride 1): along one run per image over dy copied out to the padded width wp with zeros in
// the extra wp - outW columns, against the padded input read as one long row (as in gridLanes);
// an infinite input value read only by those extra columns would turn into NaN there (0 * inf).
double filterRowLanes(const ConvGeometry& g) {
  const double chunks = std::ceil(static_cast<double>(g.outW) / 16.0);
  return g.outW / (16.0 * chunks);
}

double filterGridLanes(const ConvGeometry& g) {
  if (g.strideH != 1 || g.strideW != 1) return 0.0;
  const int64_t wp = g.outW + (g.kW - 1) * g.dilationW;
  const double span = static_cast<double>((g.outH - 1) * wp + g.outW);
  return static_cast<double>(g.outH * g.outW) / (16.0 * std::ceil(span / 16.0));
}

// Rows of at most 16 pixels pay a fixed cost per row (pointer setup, a one-chunk inner loop) that
// the lane count misses: the grid measured faster there even with fewer lanes in use (16x16, 5x5
// kernel: 1.14x; 10x10: 1.26x), and on wider rows whenever it uses more lanes (56x56: 1.12x).
bool filterGridBeatsRows(const ConvGeometry& g) {
  const double grid = filterGridLanes(g);
  return grid > 0.0 && (g.outW <= 16 || grid > filterRowLanes(g));
}

// Whether the dot-product filter gradient should beat the packed GEMM: the GEMM pays for an
// im2col transposed into panels, about 1.5 cycles per value against 2 * outChannels flops.
bool preferFilterDot(const ConvGeometry& g) {
  const Dims d(g);
  // The lanes of the tiling filterGradientDot will use, at 0.7 of the GEMM's speed per lane: at
  // 128 channels, 28x28, the GEMM ran 1.35-1.6x faster than the dot products (with either tiling),
  // at 64 channels, 56x56, the dot products 1.15x faster.
  const double lanes = 0.7 * (filterGridBeatsRows(g) ? filterGridLanes(g) : filterRowLanes(g));
  const double packed = 1.0 / (1.0 + 48.0 / static_cast<double>(d.og));
  return lanes >= packed;
}

// The filter gradient by dot products; false when it does not apply or should lose.
bool filterGradientDot(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
#if STRIDE_X86
  if (activeIsa() != Isa::Avx512 || g.strideW != 1 || !preferFilterDot(g)) return false;
  const Dims d(g);
  const int threads = threadsFor(convFlops(g));
  const PaddedInput pad(g, x, threads);
  const std::vector<int64_t> off = tapOffsets(g, d.cg, pad.plane, pad.wp);
  const int64_t oTiles = (d.og + 3) / 4, jTiles = (d.kk + 5) / 6;
  // The dot products run over rows x cols pixels per image, rowStep apart in the padded input.
  const float* dyRows = dy;
  int64_t rows = g.outH, cols = g.outW, plane = d.outPlane, rowStep = g.strideH * pad.wp;
  if (filterGridBeatsRows(g)) {
    const int64_t wp = pad.wp, gridPlane = g.outH * wp;
    float* grid = scratch(Slot::Cols, static_cast<size_t>(g.batch * g.outChannels * gridPlane));
    ThreadPool::instance().parallelFor(g.batch * g.outChannels, threads, [&](int64_t t) {
      for (int64_t oy = 0; oy < g.outH; oy++) {
        float* dst = grid + t * gridPlane + oy * wp;
        std::memcpy(dst, dy + t * d.outPlane + oy * g.outW, g.outW * sizeof(float));
        std::memset(dst + g.outW, 0, (wp - g.outW) * sizeof(float));
      }
    });
    dyRows = grid;
    rows = 1;
    cols = (g.outH - 1) * wp + g.outW;
    plane = gridPlane;
    rowStep = 0;
  }
  for (int64_t grp = 0; grp < g.groups; grp++) {
    const FilterDotArgs a{dyRows + grp * d.og * plane,
                          pad.data + grp * d.cg * pad.plane,
                          off.data(),
                          g.batch,
                          rows,
                          cols,
                          plane,
                          g.outChannels * plane,
                          g.inChannels * pad.plane,
                          rowStep,
                          d.kk};
    float* dwg = dw + grp * d.og * d.kk;
    ThreadPool::instance().parallelFor(oTiles * jTiles, threads, [&](int64_t t) {
      const int64_t ot = t / jTiles, jt = t % jTiles;
      const int64_t o0 = ot * 4, j0 = jt * 6;
      filterDot(a, o0, static_cast<int>(std::min<int64_t>(4, d.og - o0)), j0,
                static_cast<int>(std::min<int64_t>(6, d.kk - j0)), dwg);
    });
  }
  return true;
#else
  (void)g, (void)x, (void)dy, (void)dw;
  return false;
#endif
}

#if STRIDE_X86
// a[j] = r[2j] and (unless b is null) b[j] = r[2j + 1] for j < n; r holds at least
// 2 * ceil(n / 16) * 16 floats.
STRIDE_TARGET_AVX512 void deinterleave2Avx512(const float* r, int64_t n, float* a, float* b) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int64_t j = 0; j < n; j += 16) {
    const __m512 lo = _mm512_loadu_ps(r + 2 * j), hi = _mm512_loadu_ps(r + 2 * j + 16);
    const __mmask16 m = n - j >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - j)) - 1);
    _mm512_mask_storeu_ps(a + j, m, _mm512_permutex2var_ps(lo, even, hi));
    if (b) _mm512_mask_storeu_ps(b + j, m, _mm512_permutex2var_ps(lo, odd, hi));
  }
}
#endif

// Strided convolutions (stride s on both axes, no dilation, one group) as stride-1 ones over the
// input's s x s phases (space to depth): xs[c, py, px][i][j] = xpad[c][i*s + py][j*s + px], and
// tap (ky, kx) = (a*s + py, b*s + px) of output (oy, ox) reads xs[c, py, px][oy + a][ox + b]. The
// indirect kernel reads the phase planes in place through a table of the kernel's real taps (kk =
// inChannels * kH * kW, no zero taps), so nothing is packed per output: im2col packing of a
// strided window costs about as much as the GEMM when there are few input channels (ResNet's 7x7
// stride-2 stem) and a sizeable share on the 3x3 and 1x1 stride-2 downsamples. Only the phases
// some tap reads are built (a 1x1 stride-2 kernel reads one of four).
struct Phases {
  int64_t s, nPy, nPx, ph, pw, plane;
  ConvGeometry p;                // the stride-1 geometry over the phase planes (tiling decisions)
  std::vector<int64_t> off, src; // tap k: offset in one image's phase planes, index in w[o]

  explicit Phases(const ConvGeometry& g) : s(g.strideH), nPy(std::min(s, g.kH)), nPx(std::min(s, g.kW)) {
    const int64_t kh = (g.kH + s - 1) / s, kw = (g.kW + s - 1) / s;
    ph = g.outH + kh - 1;
    pw = g.outW + kw - 1;
    plane = ph * pw;
    p = g;
    p.inChannels = g.inChannels * nPy * nPx;
    p.kH = kh;
    p.kW = kw;
    p.strideH = p.strideW = 1;
    p.padTop = p.padLeft = 0;
    p.inH = ph;
    p.inW = pw;
    for (int64_t c = 0; c < g.inChannels; c++)
      for (int64_t py = 0; py < nPy; py++)
        for (int64_t px = 0; px < nPx; px++)
          for (int64_t ky = py; ky < g.kH; ky += s)
            for (int64_t kx = px; kx < g.kW; kx += s) {
              off.push_back(((c * nPy + py) * nPx + px) * plane + (ky / s) * pw + kx / s);
              src.push_back((c * g.kH + ky) * g.kW + kx);
            }
  }
};

// Whether forwardPhases applies and should beat im2col + GEMM.
bool phasesApply(const ConvGeometry& g) {
  const int64_t s = g.strideH;
#if defined(__wasm_simd128__)
  return g.groups == 1 && g.dilationH == 1 && g.dilationW == 1 && s >= 2 && g.strideW == s &&
         preferIndirectWasm(g);
#else
  if (activeIsa() != Isa::Avx512 || !indirectKernelAvx512() || g.groups != 1 || g.dilationH != 1 ||
      g.dilationW != 1 || s < 2 || g.strideW != s)
    return false;
  ConvGeometry p = g;
  p.kH = (g.kH + s - 1) / s;
  p.kW = (g.kW + s - 1) / s;
  p.strideH = p.strideW = 1;
  return preferIndirect(p);
#endif
}

// Rows [i0, i1) of the phase planes of one image channel: input row i*s + py - padTop, zero
// padded, split by column phase (column j*s + px - padLeft).
void buildPhaseRows(const ConvGeometry& g, const Phases& ph, const float* in, float* planes, int64_t i0,
                    int64_t i1) {
  const int64_t s = ph.s, width = s * ph.pw;
  thread_local std::vector<float> row;
  if (row.size() < static_cast<size_t>(width + 32)) row.resize(width + 32);
  float* r = row.data();
  // Input columns [lo, hi) land in r[lo + padLeft ...]; the rest of r stays zero.
  const int64_t lo = std::max<int64_t>(0, -g.padLeft), hi = std::min(g.inW, width - g.padLeft);
  std::fill(r, r + width + 32, 0.0f);
  for (int64_t i = i0; i < i1; i++)
    for (int64_t py = 0; py < ph.nPy; py++) {
      float* dst = planes + py * ph.nPx * ph.plane + i * ph.pw;
      const int64_t iy = i * s + py - g.padTop;
      if (iy < 0 || iy >= g.inH || hi <= lo) {
        for (int64_t px = 0; px < ph.nPx; px++) std::memset(dst + px * ph.plane, 0, ph.pw * sizeof(float));
        continue;
      }
      std::memcpy(r + lo + g.padLeft, in + iy * g.inW + lo, (hi - lo) * sizeof(float));
#if STRIDE_X86
      if (s == 2 && activeIsa() == Isa::Avx512) {
        deinterleave2Avx512(r, ph.pw, dst, ph.nPx == 2 ? dst + ph.plane : nullptr);
        continue;
      }
#endif
      for (int64_t px = 0; px < ph.nPx; px++)
        for (int64_t j = 0; j < ph.pw; j++) dst[px * ph.plane + j] = r[j * s + px];
    }
}

// The forward of a strided convolution through its phases (see Phases); false when it does not
// apply. `packed` (or null) keeps the weights in the phase order, packed, across calls.
bool forwardPhases(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                   const ConvEpilogue* e, float* y) {
  if (!phasesApply(g)) return false;
  const Phases ph(g);
  const int64_t kk = static_cast<int64_t>(ph.off.size());
  const int mr = gemmMr();
  const int threads = threadsFor(convFlops(g));
  // The weights in tap-table order, packed for the micro-kernel (kept in `packed` when given).
  const float* prepacked = nullptr;
  if (!packed || packed->phasesMr != mr || packed->phases.empty()) {
    float* ws = scratch(Slot::Cols, static_cast<size_t>(g.outChannels * kk));
    const int64_t wk = Dims(g).kk;
    for (int64_t o = 0; o < g.outChannels; o++)
      for (int64_t k = 0; k < kk; k++) ws[o * kk + k] = w[o * wk + ph.src[static_cast<size_t>(k)]];
    if (packed) {
      packed->phases.resize(static_cast<size_t>(g.outChannels * kk));
      packAllAInto(DenseA(ws, kk, false), g.outChannels, kk, mr, threads, packed->phases.data());
      packed->phasesMr = mr;
    } else {
      prepacked = packAllA(DenseA(ws, kk, false), g.outChannels, kk, mr, threads);
    }
  }
  if (packed) prepacked = packed->phases.data();
  // The phase planes, image channel by image channel in blocks of rows.
  const int64_t planes = ph.nPy * ph.nPx, rowBlock = 8, blocks = (ph.ph + rowBlock - 1) / rowBlock;
  float* xs = scratch(Slot::Extra, static_cast<size_t>(g.batch * g.inChannels * planes * ph.plane));
  ThreadPool::instance().parallelFor(g.batch * g.inChannels * blocks, threads, [&](int64_t t) {
    const int64_t nc = t / blocks, i0 = (t % blocks) * rowBlock;
    buildPhaseRows(g, ph, x + nc * g.inH * g.inW, xs + nc * planes * ph.plane, i0, std::min(ph.ph, i0 + rowBlock));
  });
  const IndirectInput in{xs, ph.pw, g.inChannels * planes * ph.plane, 0, ph.off.data(), kk};
  runIndirect(ph.p, in, nullptr, prepacked, e, y);
  return true;
}

// The forward by indirect convolution or implicit GEMM; `prepacked` as in forwardIndirect.
// The epilogue e (or null) is applied to y either way.
void forwardGemm(const ConvGeometry& g, const float* x, const float* w, float* y, const float* prepacked = nullptr,
                 const ConvEpilogue* e = nullptr) {
  // Weights prepared once (inference) stay on the paths that read their packed copy.
  if (!prepacked && smallChannelsForward(g, x, w, e, y)) return;
  if (forwardIndirect(g, x, w, prepacked, e, y)) return;
  const Dims d(g);
  for (int64_t grp = 0; grp < g.groups; grp++) {
    DenseA a(w + grp * d.og * d.kk, d.kk, false);
    Im2colB b(g, x, grp * d.cg);
    CLayout c{y + grp * d.og * d.outPlane, d.outPlane, d.outPlane, g.outChannels * d.outPlane};
    GemmProblem problem{d.og, g.batch * d.outPlane, d.kk, &a, &b, c, false};
    if (prepacked) problem.packedA = prepacked + grp * d.og * d.kk;
    gemm(problem, numThreads());
  }
  if (hasEpilogue(e)) epiloguePass(g, *e, y);
}

// Scatter-add one image's columns [(c, ky, kx), (oy, ox)] (row stride ld) of group channels
// [c0, c0 + cg) into dx.
STRIDE_INLINE void col2imImpl(const ConvGeometry* gp, const float* cols, int64_t ld, int64_t c0, int64_t cg,
                              float* dxImage) {
  const ConvGeometry& g = *gp;
  const int64_t plane = g.inH * g.inW;
  int64_t row = 0;
  for (int64_t c = 0; c < cg; c++) {
    float* chan = dxImage + (c0 + c) * plane;
    for (int64_t ky = 0; ky < g.kH; ky++) {
      for (int64_t kx = 0; kx < g.kW; kx++, row++) {
        const float* src = cols + row * ld;
        const int64_t off = kx * g.dilationW - g.padLeft;
        int64_t lo = off >= 0 ? 0 : (-off + g.strideW - 1) / g.strideW;
        int64_t hi = g.inW - off <= 0 ? 0 : (g.inW - off + g.strideW - 1) / g.strideW;
        hi = std::min(hi, g.outW);
        for (int64_t oy = 0; oy < g.outH; oy++) {
          const int64_t iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          if (iy < 0 || iy >= g.inH) continue;
          float* dr = chan + iy * g.inW;
          const float* sr = src + oy * g.outW;
          if (g.strideW == 1) {
            float* ds = dr + off;
            for (int64_t ox = lo; ox < hi; ox++) ds[ox] += sr[ox];
          } else {
            for (int64_t ox = lo; ox < hi; ox++) dr[ox * g.strideW + off] += sr[ox];
          }
        }
      }
    }
  }
}
STRIDE_MULTIVERSION(col2im, col2imImpl)

}  // namespace

void conv2dForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  conv2dForwardPacked(g, x, w, nullptr, bias, y);
}

PackedConvWeights conv2dPrepareWeights(const ConvGeometry& g) {
  PackedConvWeights out;
  out.outChannels = g.outChannels;
  out.kk = Dims(g).kk;
  out.groups = g.groups;
  return out;
}

void conv2dForwardPacked(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                         const float* bias, float* y) {
  ConvEpilogue e;
  e.bias = bias;
  conv2dForwardFused(g, x, w, packed, e, y);
}

void conv2dForwardFused(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                        const ConvEpilogue& e, float* y) {
  const float* bias = e.bias;
  const Dims d(g);
  if (packed && (packed->outChannels != g.outChannels || packed->kk != d.kk || packed->groups != g.groups))
    packed = nullptr;
  if (d.outPlane == 0 || g.batch == 0 || g.outChannels == 0) return;
  if (isDepthwise(g)) {
    // The depthwise kernel clamps a lone ReLU as it writes; a residual is added in a pass after it.
    if (!e.residual && e.relu) return depthwiseForward(g, x, w, bias, y, 0.0f);
    depthwiseForward(g, x, w, bias, y);
    if (e.residual || e.relu) epiloguePass(g, ConvEpilogue{nullptr, e.residual, e.relu}, y);
    return;
  }
  // Winograd keeps transforming the weights inside its tasks. Measured on ResNet-18 (fused, 2
  // threads, AVX-512): keeping all transformed weights U across calls (4x the weights, each
  // (panel, point) contiguous) ran 0.85-0.94x as fast at batch 1, where every weight is
  // transformed about once per call and reading 4x the bytes costs more, and about 1.03x (within
  // the noise) at batch 8; keeping U only for layers of up to 128x128 channels, or only where the
  // tasks transform each weight at least 2 or 4 times per call, gained nothing measurable either.
  if (useWinograd(g)) return winogradForward(g, x, w, e, y);
  if (pointwiseForward(g, x, w, packed, bias, e.residual, e.relu ? 0.0f : -INFINITY, INFINITY, y)) return;
  if (preferDirectConv(g, packed != nullptr) &&
      directConvForward(g, x, w, packed, bias, e.residual, e.relu ? 0.0f : -INFINITY, INFINITY, y))
    return;
  if (forwardPhases(g, x, w, packed, &e, y)) return;
  // Packed on first use, and again for another micro-kernel (tests switch the instruction set).
  const float* prepacked = nullptr;
  if (packed && d.kk > 0) {
    const int mr = gemmMr();
    if (packed->mr != mr || packed->gemm.empty()) {
      packed->gemm.resize(static_cast<size_t>(g.outChannels * d.kk));
      for (int64_t grp = 0; grp < g.groups; grp++)
        packAllAInto(DenseA(w + grp * d.og * d.kk, d.kk, false), d.og, d.kk, mr, numThreads(),
                     packed->gemm.data() + grp * d.og * d.kk);
      packed->mr = mr;
    }
    prepacked = packed->gemm.data();
  }
  forwardGemm(g, x, w, y, prepacked, &e);
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
  if (isDepthwise(g)) return depthwiseBackwardData(g, dy, w, dx);
  // Stride 1: dx = conv(dy, W') with W'[c][o][ky][kx] = W[o][c][kH-1-ky][kW-1-kx] within each
  // group, the transposed convolution. It wins when it runs through Winograd (3x3, one group), as
  // an indirect convolution (no packing), or as an implicit GEMM with enough input channels per
  // group (a GEMM of enough rows) and not many more output channels (its packing grows with
  // them). Otherwise columns plus col2im are cheaper.
  if (g.strideH == 1 && g.strideW == 1) {
    ConvGeometry t = g;
    t.inChannels = g.outChannels;
    t.inH = g.outH;
    t.inW = g.outW;
    t.outChannels = g.inChannels;
    t.outH = g.inH;
    t.outW = g.inW;
    t.padTop = g.dilationH * (g.kH - 1) - g.padTop;
    t.padLeft = g.dilationW * (g.kW - 1) - g.padLeft;
    const bool winograd = useWinograd(t);
    const bool indirect = (activeIsa() == Isa::Avx512 && preferIndirect(t)) || smallChannelsForwardApplies(t);
    if (winograd || indirect || (d.cg >= 16 && d.og <= 2 * d.cg)) {
      const int64_t taps = g.kH * g.kW;
      float* wt = scratch(Slot::Extra, static_cast<size_t>(g.inChannels * d.og * taps));
      for (int64_t grp = 0; grp < g.groups; grp++)
        for (int64_t o = 0; o < d.og; o++)
          for (int64_t c = 0; c < d.cg; c++) {
            const float* src = w + ((grp * d.og + o) * d.cg + c) * taps;
            float* dst = wt + ((grp * d.cg + c) * d.og + o) * taps;
            for (int64_t k = 0; k < taps; k++) dst[k] = src[taps - 1 - k];
          }
      if (winograd)
        winogradForward(t, dy, wt, nullptr, dx);
      else
        forwardGemm(t, dy, wt, dx);
      return;
    }
  }
  // Columns = W_g^T * dY_g for a chunk of images at once (one GEMM with the images side by side),
  // then scatter-added into dx. Chunks keep the columns near L2 size; with enough chunks each
  // thread takes whole chunks, otherwise the GEMM itself is threaded.
  std::memset(dx, 0, dxSize * sizeof(float));
  const int64_t perImage = d.kk * d.outPlane;
  const int64_t chunk = std::clamp<int64_t>(kColumnsTarget / std::max<int64_t>(perImage, 1), 1, g.batch);
  const int64_t chunks = (g.batch + chunk - 1) / chunk;
  const int threads = threadsFor(convFlops(g));
  auto runChunk = [&](int64_t ch, int gemmThreads) {
    const int64_t n0 = ch * chunk, count = std::min(chunk, g.batch - n0);
    const int64_t ld = count * d.outPlane;
    float* cols = scratch(Slot::Cols, static_cast<size_t>(d.kk * ld));
    for (int64_t grp = 0; grp < g.groups; grp++) {
      DenseA a(w + grp * d.og * d.kk, d.kk, true);
      ImageRowsB b(dy + (n0 * g.outChannels + grp * d.og) * d.outPlane, d.outPlane, g.outChannels * d.outPlane);
      gemm({d.kk, ld, d.og, &a, &b, CLayout{cols, ld, ld, 0}, false}, gemmThreads);
      for (int64_t i = 0; i < count; i++)
        col2im(&g, static_cast<const float*>(cols + i * d.outPlane), ld, grp * d.cg, d.cg,
               dx + (n0 + i) * g.inChannels * d.plane);
    }
  };
  if (threads > 1 && chunks >= threads) {
    pool.parallelFor(chunks, threads, [&](int64_t ch) { runChunk(ch, 1); });
  } else {
    for (int64_t ch = 0; ch < chunks; ch++) runChunk(ch, threads);
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
  if (isDepthwise(g)) return depthwiseBackwardFilter(g, x, dy, dw);
  if (smallChannelsBackwardFilter(g, x, dy, dw)) return;
  if (filterGradientDot(g, x, dy, dw)) return;
  for (int64_t grp = 0; grp < g.groups; grp++) {
    OutputGradA a(g, dy, grp * d.og);
    Im2colTransposedB b(g, x, grp * d.cg);
    CLayout c{dw + grp * d.og * d.kk, d.kk, d.kk, 0};
    gemm({d.og, d.kk, g.batch * d.outPlane, &a, &b, c, false}, numThreads());
  }
}

}  // namespace stride
