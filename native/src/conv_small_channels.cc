// Direct convolution for few channels (see conv_small_channels.h).
//
// y[n, o, oy, ox] = sum over k = (c, ky, kx) of w[o, k] * xpad[n, c, oy + ky, ox + kx], with xpad
// the input zero-padded so that every window lies inside it. A tile is MR output channels (a
// panel) by NV vectors of 16 output pixels; each vector is a run of one output row, so tap k of
// vector v starts at src[v] + off[k] in xpad. Per tap: NV loads, MR broadcasts, MR * NV FMAs; the
// accumulators never leave registers until the epilogue writes them. Unlike the indirect GEMM path
// (conv.cc), a tile may take its vectors from different output rows, so 16-pixel-wide outputs
// still fill 2-4 vectors per tap, and panels split the channels evenly (20 = 10 + 10, not 12 + 8).
// Taps whose kernel row reads only padding rows for every vector of a tile are skipped: a
// transposed convolution (conv2dBackwardData of a "valid" layer, padding kH - 1) reads a zero row
// in 2 of every 7 of its row taps at LeNet's sizes (10x10 -> 14x14, 5x5).
#include "conv_small_channels.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu.h"
#include "padded_input.h"
#include "thread_pool.h"
#include "workspace.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

constexpr int64_t kMaxChannels = 32;  // output channels: at most 3 panels of up to 12 rows
constexpr int kMaxRows = 12;          // rows of a panel: 12 x 2 vectors = 24 accumulators
constexpr int64_t kMaxTaps = 2048;    // taps per output channel (weights of a panel stay in L1/L2)

int64_t vectorsPerRow(const ConvGeometry& g) { return (g.outW + 15) / 16; }

}  // namespace

bool smallChannelsForwardApplies(const ConvGeometry& g) {
#if STRIDE_X86
  if (activeIsa() != Isa::Avx512) return false;
  if (g.groups != 1 || g.strideH != 1 || g.strideW != 1 || g.dilationH != 1 || g.dilationW != 1) return false;
  // Fewer than 4 output channels leave the tile load-bound (3 channels, from 16, ran 0.87x as fast
  // as the indirect path).
  if (g.outChannels < 4 || g.outChannels > kMaxChannels || g.outW < 1 || g.outH < 1) return false;
  if (g.inChannels * g.kH * g.kW > kMaxTaps) return false;
  // Lanes in use: measured on 1 thread against the indirect path, 10-wide outputs (LeNet's second
  // layer, 10 of 16 lanes) ran 1.13-1.43x as fast, 8-wide ones (8 of 16) 0.80-0.84x.
  return 100 * g.outW >= 60 * 16 * vectorsPerRow(g);
#else
  (void)g;
  return false;
#endif
}

#if STRIDE_X86
namespace {

struct TileArgs {
  const float* wp;      // the panel's weights, [k][MR]
  int64_t taps;         // K = inChannels * kH * kW
  int64_t channels;     // inChannels: K = channels * rowTaps * kW taps, in (c, ky, kx) order
  int64_t kH, kW;
  const int64_t* off;   // tap offsets within a padded image
  int64_t plane;        // outH * outW (channel stride of y and the residual)
  const float* bias;    // the panel's first bias, or null
  bool relu;
};

// Taps [k0, k1) of a tile into its accumulators.
template <int MR, int NV>
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) void tileTaps(const TileArgs& a, int64_t k0, int64_t k1,
                                                                         const float* const* src,
                                                                         const __mmask16* mask,
                                                                         __m512 (&acc)[MR][NV]) {
  const float* wk = a.wp + k0 * MR;
  for (int64_t k = k0; k < k1; k++, wk += MR) {
    const int64_t o = a.off[k];
    __m512 b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = _mm512_maskz_loadu_ps(mask[v], src[v] + o);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 wr = _mm512_set1_ps(wk[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(wr, b[v], acc[r][v]);
    }
  }
}

// One tile over the kernel rows [kyLo, kyHi) of every input channel (all rows: one run of taps).
template <int MR, int NV>
STRIDE_TARGET_AVX512 void directTile(const TileArgs& a, int64_t kyLo, int64_t kyHi, const float* const* src,
                                     const __mmask16* mask, float* const* dst, const float* const* res) {
  __m512 acc[MR][NV];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  if (kyLo == 0 && kyHi == a.kH) {
    tileTaps<MR, NV>(a, 0, a.taps, src, mask, acc);
  } else {
    const int64_t perChannel = a.kH * a.kW;
    for (int64_t c = 0; c < a.channels; c++)
      tileTaps<MR, NV>(a, c * perChannel + kyLo * a.kW, c * perChannel + kyHi * a.kW, src, mask, acc);
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    const __m512 bias = a.bias ? _mm512_set1_ps(a.bias[r]) : zero;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      __m512 out = _mm512_add_ps(acc[r][v], bias);
      if (res) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(mask[v], res[v] + r * a.plane));
      if (a.relu) out = _mm512_max_ps(out, zero);
      _mm512_mask_storeu_ps(dst[v] + r * a.plane, mask[v], out);
    }
  }
}

using TileFn = void (*)(const TileArgs&, int64_t, int64_t, const float* const*, const __mmask16*, float* const*,
                        const float* const*);

template <int NV>
TileFn tileFor(int rows) {
  switch (rows) {
    case 1: return directTile<1, NV>;
    case 2: return directTile<2, NV>;
    case 3: return directTile<3, NV>;
    case 4: return directTile<4, NV>;
    case 5: return directTile<5, NV>;
    case 6: return directTile<6, NV>;
    case 7: return directTile<7, NV>;
    case 8: return directTile<8, NV>;
    case 9: return directTile<9, NV>;
    case 10: return directTile<10, NV>;
    case 11: return directTile<11, NV>;
    default: return directTile<12, NV>;
  }
}

TileFn tileFn(int rows, int nv) {
  switch (nv) {
    case 1: return tileFor<1>(rows);
    case 2: return tileFor<2>(rows);
    case 3: return tileFor<3>(rows);
    default: return tileFor<4>(rows);
  }
}

}  // namespace

bool smallChannelsForward(const ConvGeometry& g, const float* x, const float* w, const ConvEpilogue* e, float* y) {
  if (!smallChannelsForwardApplies(g)) return false;
  const int64_t O = g.outChannels, C = g.inChannels, K = C * g.kH * g.kW;
  const int64_t hp = g.outH + g.kH - 1, wp = g.outW + g.kW - 1, padPlane = hp * wp;
  const int64_t plane = g.outH * g.outW;
  const double flops = 2.0 * static_cast<double>(g.batch * O * K * plane);
  const int threads = threadsFor(flops);
  ThreadPool& pool = ThreadPool::instance();

  // Panels: the channels split evenly into panels of at most 12 rows; 4 vectors per tile when a
  // panel has at most 6 rows, 3 up to 8 rows (24 accumulators either way). More vectors per
  // broadcast weight: LeNet's 6-channel layers ran 1.04-1.07x as fast with 4 than with 3.
  const int64_t panels = (O + kMaxRows - 1) / kMaxRows;
  const int mr = static_cast<int>((O + panels - 1) / panels);
  const int nv = mr <= 6 ? 4 : mr <= 8 ? 3 : 2;

  // Weights of panel p at wpk + p * mr * K, [k][r] (rows past O in the last panel are never read).
  float* wpk = scratch(Slot::PackA, static_cast<size_t>(panels * mr * K));
  for (int64_t p = 0; p < panels; p++) {
    const int64_t o0 = p * mr, rows = std::min<int64_t>(mr, O - o0);
    float* dst = wpk + p * mr * K;
    for (int64_t k = 0; k < K; k++)
      for (int64_t r = 0; r < rows; r++) dst[k * rows + r] = w[(o0 + r) * K + k];
  }
  std::vector<int64_t> off(static_cast<size_t>(K));
  for (int64_t c = 0, k = 0; c < C; c++)
    for (int64_t ky = 0; ky < g.kH; ky++)
      for (int64_t kx = 0; kx < g.kW; kx++) off[static_cast<size_t>(k++)] = c * padPlane + ky * wp + kx;

  // The zero-padded input (read in place when it needs no padding).
  const PaddedInput pad(g, x, threads);
  const float* xpad = pad.data;

  // Vectors of one image in raster order: (oy, 16-pixel run); tiles of nv consecutive vectors.
  const int64_t vrow = vectorsPerRow(g), vectors = g.outH * vrow;
  const int64_t tiles = (vectors + nv - 1) / nv;
  const int tail = static_cast<int>(g.outW - (vrow - 1) * 16);
  const __mmask16 lastMask = static_cast<__mmask16>((1u << tail) - 1);
  // Tasks: whole images when there are enough of them, else parts of images.
  const int64_t splits = std::clamp<int64_t>((4 * threads + g.batch - 1) / g.batch, 1, tiles);
  const int64_t tilesPerTask = (tiles + splits - 1) / splits;
  const bool residual = e && e->residual;
  pool.parallelFor(g.batch * splits, threads, [&](int64_t t) {
    const int64_t n = t / splits, tile0 = (t % splits) * tilesPerTask;
    const int64_t tile1 = std::min(tiles, tile0 + tilesPerTask);
    const float* xImage = xpad + n * C * padPlane;
    for (int64_t p = 0; p < panels; p++) {
      const int64_t o0 = p * mr;
      const int rows = static_cast<int>(std::min<int64_t>(mr, O - o0));
      const TileArgs a{wpk + p * mr * K, K, C, g.kH, g.kW, off.data(), plane, e && e->bias ? e->bias + o0 : nullptr,
                       e && e->relu};
      float* yPanel = y + (n * O + o0) * plane;
      const float* rPanel = residual ? e->residual + (n * O + o0) * plane : nullptr;
      for (int64_t tile = tile0; tile < tile1; tile++) {
        const float* src[4];
        float* dst[4];
        const float* res[4];
        __mmask16 mask[4];
        const int64_t v0 = tile * nv;
        const int count = static_cast<int>(std::min<int64_t>(nv, vectors - v0));
        int64_t oyFirst = 0, oyLast = 0;
        for (int v = 0; v < count; v++) {
          const int64_t oy = (v0 + v) / vrow, q = (v0 + v) % vrow, ox = q * 16;
          if (v == 0) oyFirst = oy;
          oyLast = oy;
          src[v] = xImage + oy * wp + ox;
          dst[v] = yPanel + oy * g.outW + ox;
          res[v] = rPanel ? rPanel + oy * g.outW + ox : nullptr;
          mask[v] = q + 1 < vrow ? static_cast<__mmask16>(0xFFFF) : lastMask;
        }
        // Kernel rows that reach an input row (not padding) for some vector of the tile: output
        // row oy reads padded rows oy .. oy + kH - 1, of which padTop .. padTop + inH - 1 hold x.
        const int64_t kyLo = std::clamp<int64_t>(g.padTop - oyLast, 0, g.kH);
        const int64_t kyHi = std::clamp<int64_t>(g.padTop + g.inH - oyFirst, kyLo, g.kH);
        tileFn(rows, count)(a, kyLo, kyHi, src, mask, dst, residual ? res : nullptr);
      }
    }
  });
  return true;
}
#else
bool smallChannelsForward(const ConvGeometry& g, const float* x, const float* w, const ConvEpilogue* e, float* y) {
  (void)g, (void)x, (void)w, (void)e, (void)y;
  return false;
}
#endif

}  // namespace stride

// ----- Filter gradient -----
//
// dw[o, k] = sum over n and output pixels q of dy[n, o, q] * xpad[n, q + off[k]] (stride 1), with
// q running along output rows in vectors of 16 (the last one masked), or, when rows are not a
// whole number of vectors, along one long run per image over dy copied to the padded width with
// zeros in the extra columns (as conv.cc's dot-product filter gradient does; an infinite input read
// only by those columns would turn into NaN there, 0 * inf). A tile is 4 channels x 6 taps: per
// vector 10 loads and 24 FMAs into 16-lane partial sums. Streaming the whole batch through each
// tile, as conv.cc does, reads every value from L2 once per tile; here each thread walks its images
// a block at a time (about 64 vectors) and runs every tile over the block, whose dy and x stay in
// L1, loading and storing the tile's partial sums between blocks.
namespace stride {

namespace {
constexpr int64_t kMaxFilterOutputs = 16384;  // O * K: 16-lane partial sums of 1 MiB per thread

#if STRIDE_X86
struct FilterTileArgs {
  const float* dy;    // dy (or its grid copy) of the block's first image, channel 0
  const float* x;     // padded input of the block's first image, channel 0
  const int64_t* off;
  int64_t images, rows, cols, dyRow, xRow, dyPlane, dyImage, xImage;
  int64_t taps;       // K
};

// One vector of 16 pixels of a tile: MO loads of dy, NJ of x, MO * NJ FMAs.
template <int MO, int NJ, bool MASKED>
STRIDE_TARGET_AVX512 inline __attribute__((always_inline)) void filterStep(const float* d, int64_t dyPlane,
                                                                           const float* xr, const int64_t* off,
                                                                           int64_t t, __mmask16 m,
                                                                           __m512 (&acc)[MO][NJ]) {
  __m512 dv[MO];
#pragma GCC unroll 4
  for (int o = 0; o < MO; o++)
    dv[o] = MASKED ? _mm512_maskz_loadu_ps(m, d + o * dyPlane + t) : _mm512_loadu_ps(d + o * dyPlane + t);
#pragma GCC unroll 6
  for (int j = 0; j < NJ; j++) {
    const __m512 xv = MASKED ? _mm512_maskz_loadu_ps(m, xr + off[j] + t) : _mm512_loadu_ps(xr + off[j] + t);
#pragma GCC unroll 4
    for (int o = 0; o < MO; o++) acc[o][j] = _mm512_fmadd_ps(dv[o], xv, acc[o][j]);
  }
}

template <int MO, int NJ>
STRIDE_TARGET_AVX512 void filterTile(const FilterTileArgs& a, int64_t o0, int64_t j0, bool first, bool last,
                                     float* part, float* dw) {
  __m512 acc[MO][NJ];
#pragma GCC unroll 4
  for (int o = 0; o < MO; o++)
#pragma GCC unroll 6
    for (int j = 0; j < NJ; j++)
      acc[o][j] = first ? _mm512_setzero_ps() : _mm512_load_ps(part + ((o0 + o) * a.taps + j0 + j) * 16);
  const int64_t chunks = (a.cols + 15) / 16;
  const int tail = static_cast<int>(a.cols - (chunks - 1) * 16);
  const __mmask16 lastMask = static_cast<__mmask16>((1u << tail) - 1);
  int64_t off[NJ];
#pragma GCC unroll 6
  for (int j = 0; j < NJ; j++) off[j] = a.off[j0 + j];
  for (int64_t n = 0; n < a.images; n++) {
    for (int64_t r = 0; r < a.rows; r++) {
      const float* d = a.dy + n * a.dyImage + o0 * a.dyPlane + r * a.dyRow;
      const float* xr = a.x + n * a.xImage + r * a.xRow;
      // Whole vectors with plain loads, then the masked tail.
      for (int64_t q = 0; q + 1 < chunks; q++) filterStep<MO, NJ, false>(d, a.dyPlane, xr, off, q * 16, 0xFFFF, acc);
      filterStep<MO, NJ, true>(d, a.dyPlane, xr, off, (chunks - 1) * 16, lastMask, acc);
    }
  }
#pragma GCC unroll 4
  for (int o = 0; o < MO; o++)
#pragma GCC unroll 6
    for (int j = 0; j < NJ; j++) {
      if (last)
        dw[(o0 + o) * a.taps + j0 + j] = _mm512_reduce_add_ps(acc[o][j]);
      else
        _mm512_store_ps(part + ((o0 + o) * a.taps + j0 + j) * 16, acc[o][j]);
    }
}

using FilterTileFn = void (*)(const FilterTileArgs&, int64_t, int64_t, bool, bool, float*, float*);

template <int MO>
FilterTileFn filterTileFor(int nj) {
  switch (nj) {
    case 1: return filterTile<MO, 1>;
    case 2: return filterTile<MO, 2>;
    case 3: return filterTile<MO, 3>;
    case 4: return filterTile<MO, 4>;
    case 5: return filterTile<MO, 5>;
    default: return filterTile<MO, 6>;
  }
}

FilterTileFn filterTileFn(int mo, int nj) {
  switch (mo) {
    case 1: return filterTileFor<1>(nj);
    case 2: return filterTileFor<2>(nj);
    case 3: return filterTileFor<3>(nj);
    default: return filterTileFor<4>(nj);
  }
}

// Layers of 12 to 32 input channels: the lanes run over the input channels instead,
// with the input transposed to channels-last (CV aligned vectors of 16 channels per padded pixel)
// and dy to [pixel][o]. A tile is MO channels x NT taps (ky, kx) x CV vectors of input channels:
// per output pixel MO broadcasts of dy and NT * CV aligned loads, no lanes summed at the end and
// no padded-width grid.
template <int MO, int NT, int CV>
STRIDE_TARGET_AVX512 void filterTileLast(const float* dyT, int64_t O, const float* xh, int64_t outH, int64_t outW,
                                         int64_t wp, const int64_t* toff, int64_t o0, int64_t t0, int64_t taps,
                                         bool first, float* part) {
  constexpr int V = 16 * CV;  // floats per pixel of xh and per (o, tap) of part
  __m512 acc[MO][NT][CV];
#pragma GCC unroll 4
  for (int o = 0; o < MO; o++)
#pragma GCC unroll 6
    for (int t = 0; t < NT; t++)
#pragma GCC unroll 2
      for (int v = 0; v < CV; v++)
        acc[o][t][v] = first ? _mm512_setzero_ps() : _mm512_load_ps(part + ((o0 + o) * taps + t0 + t) * V + 16 * v);
  int64_t off[NT];
#pragma GCC unroll 6
  for (int t = 0; t < NT; t++) off[t] = toff[t0 + t];
  for (int64_t oy = 0; oy < outH; oy++) {
    const float* d = dyT + oy * outW * O + o0;
    const float* xp = xh + oy * wp * V;
    for (int64_t ox = 0; ox < outW; ox++, d += O, xp += V) {
      __m512 xv[NT][CV];
#pragma GCC unroll 6
      for (int t = 0; t < NT; t++)
#pragma GCC unroll 2
        for (int v = 0; v < CV; v++) xv[t][v] = _mm512_load_ps(xp + off[t] + 16 * v);
#pragma GCC unroll 4
      for (int o = 0; o < MO; o++) {
        const __m512 dv = _mm512_set1_ps(d[o]);
#pragma GCC unroll 6
        for (int t = 0; t < NT; t++)
#pragma GCC unroll 2
          for (int v = 0; v < CV; v++) acc[o][t][v] = _mm512_fmadd_ps(dv, xv[t][v], acc[o][t][v]);
      }
    }
  }
#pragma GCC unroll 4
  for (int o = 0; o < MO; o++)
#pragma GCC unroll 6
    for (int t = 0; t < NT; t++)
#pragma GCC unroll 2
      for (int v = 0; v < CV; v++) _mm512_store_ps(part + ((o0 + o) * taps + t0 + t) * V + 16 * v, acc[o][t][v]);
}

using FilterLastFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, int64_t, const int64_t*,
                              int64_t, int64_t, int64_t, bool, float*);

// Tiles of up to 4 channels x 6 taps (one vector of input channels) or 4 x 3 (two vectors).
template <int MO, int CV>
FilterLastFn filterLastFor(int nt) {
  switch (nt) {
    case 1: return filterTileLast<MO, 1, CV>;
    case 2: return filterTileLast<MO, 2, CV>;
    case 3: return filterTileLast<MO, 3, CV>;
    case 4: return filterTileLast<MO, CV == 1 ? 4 : 3, CV>;
    case 5: return filterTileLast<MO, CV == 1 ? 5 : 3, CV>;
    default: return filterTileLast<MO, CV == 1 ? 6 : 3, CV>;
  }
}

template <int CV>
FilterLastFn filterLastFn(int mo, int nt) {
  switch (mo) {
    case 1: return filterLastFor<1, CV>(nt);
    case 2: return filterLastFor<2, CV>(nt);
    case 3: return filterLastFor<3, CV>(nt);
    default: return filterLastFor<4, CV>(nt);
  }
}

// Whether filterGradientChannelsLast takes C input channels. Measured on 1 thread (CPU time)
// against the pixel-lane tiles below: 1.7-1.9x at 16 channels, 1.3x at 20 (8x8, 62% of the lanes),
// 1.5x at 24, 1.0-1.8x at 32.
bool channelsLastFits(int64_t C) { return C >= 12 && C <= 32; }

// The channels-last filter gradient (see filterTileLast); g as smallChannelsBackwardFilter takes it,
// with channelsLastFits(inChannels).
void filterGradientChannelsLast(const ConvGeometry& g, const float* x, const float* dy, float* dw, int threads) {
  ThreadPool& pool = ThreadPool::instance();
  const int64_t O = g.outChannels, C = g.inChannels, taps = g.kH * g.kW;
  const int cv = C > 16 ? 2 : 1;
  const int64_t V = 16 * cv;
  const int64_t hp = g.outH + g.kH - 1, wp = g.outW + g.kW - 1, plane = g.outH * g.outW, inPlane = g.inH * g.inW;
  float* xh = scratch(Slot::Pad, static_cast<size_t>(g.batch * hp * wp * V));
  pool.parallelFor(g.batch * hp, threads, [&](int64_t t) {
    const int64_t n = t / hp, py = t % hp, iy = py - g.padTop;
    float* row = xh + t * wp * V;
    std::memset(row, 0, wp * V * sizeof(float));
    if (iy < 0 || iy >= g.inH) return;
    const int64_t x0 = std::max<int64_t>(0, g.padLeft), x1 = std::min<int64_t>(wp, g.inW + g.padLeft);
    for (int64_t c = 0; c < C; c++) {
      const float* src = x + (n * C + c) * inPlane + iy * g.inW - g.padLeft;
      for (int64_t px = x0; px < x1; px++) row[px * V + c] = src[px];
    }
  });
  float* dyT = scratch(Slot::Cols, static_cast<size_t>(g.batch * plane * O));
  pool.parallelFor(g.batch, threads, [&](int64_t n) {
    for (int64_t o = 0; o < O; o++) {
      const float* src = dy + (n * O + o) * plane;
      float* dst = dyT + n * plane * O + o;
      for (int64_t q = 0; q < plane; q++) dst[q * O] = src[q];
    }
  });
  std::vector<int64_t> toff(static_cast<size_t>(taps));
  for (int64_t ky = 0; ky < g.kH; ky++)
    for (int64_t kx = 0; kx < g.kW; kx++) toff[static_cast<size_t>(ky * g.kW + kx)] = (ky * wp + kx) * V;
  const int64_t tasks = threads;
  float* part = scratch(Slot::Extra, static_cast<size_t>(tasks * O * taps * V));
  const int64_t maxNt = cv == 1 ? 6 : 3;
  const int64_t tTiles = (taps + maxNt - 1) / maxNt, nt = (taps + tTiles - 1) / tTiles, oTiles = (O + 3) / 4;
  pool.parallelFor(tasks, threads, [&](int64_t t) {
    const int64_t n0 = g.batch * t / tasks, n1 = g.batch * (t + 1) / tasks;
    float* mine = part + t * O * taps * V;
    for (int64_t n = n0; n < n1; n++)
      for (int64_t ot = 0; ot < oTiles; ot++) {
        const int64_t o0 = ot * 4;
        const int mo = static_cast<int>(std::min<int64_t>(4, O - o0));
        for (int64_t tt = 0; tt < tTiles; tt++) {
          const int64_t t0 = tt * nt;
          const int n_t = static_cast<int>(std::min<int64_t>(nt, taps - t0));
          const FilterLastFn fn = cv == 1 ? filterLastFn<1>(mo, n_t) : filterLastFn<2>(mo, n_t);
          fn(dyT + n * plane * O, O, xh + n * hp * wp * V, g.outH, g.outW, wp, toff.data(), o0, t0, taps, n == n0,
             mine);
        }
      }
  });
  for (int64_t o = 0; o < O; o++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t k = 0; k < taps; k++) {
        float s = 0.0f;
        for (int64_t t = 0; t < tasks; t++) s += part[((t * O + o) * taps + k) * V + c];
        dw[(o * C + c) * taps + k] = s;
      }
}
#endif  // STRIDE_X86

}  // namespace

bool smallChannelsBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
#if STRIDE_X86
  if (activeIsa() != Isa::Avx512) return false;
  if (g.groups != 1 || g.strideH != 1 || g.strideW != 1 || g.dilationH != 1 || g.dilationW != 1) return false;
  const int64_t O = g.outChannels, C = g.inChannels, K = C * g.kH * g.kW;
  if (O < 1 || O > kMaxChannels || O * K > kMaxFilterOutputs || g.outH < 1 || g.outW < 1) return false;
  const int64_t plane = g.outH * g.outW;
  const int threads = threadsFor(2.0 * static_cast<double>(g.batch * O * K * plane));
  if (g.batch < threads) return false;
  if (channelsLastFits(C)) {
    filterGradientChannelsLast(g, x, dy, dw, threads);
    return true;
  }
  ThreadPool& pool = ThreadPool::instance();
  const int64_t hp = g.outH + g.kH - 1, wp = g.outW + g.kW - 1, padPlane = hp * wp;

  // The padded input, and (grid) dy copied to the padded width.
  const PaddedInput pad(g, x, threads);
  const float* xpad = pad.data;
  const bool grid = g.outW % 16 != 0 && g.outH > 1;
  const float* dyRows = dy;
  int64_t rows = g.outH, cols = g.outW, dyRow = g.outW, xRow = wp, dyPlane = plane;
  if (grid) {
    const int64_t gridPlane = g.outH * wp;
    float* copy = scratch(Slot::Cols, static_cast<size_t>(g.batch * O * gridPlane));
    pool.parallelFor(g.batch * O, threads, [&](int64_t t) {
      for (int64_t oy = 0; oy < g.outH; oy++) {
        float* dst = copy + t * gridPlane + oy * wp;
        std::memcpy(dst, dy + t * plane + oy * g.outW, g.outW * sizeof(float));
        std::memset(dst + g.outW, 0, (wp - g.outW) * sizeof(float));
      }
    });
    dyRows = copy;
    rows = 1;
    cols = (g.outH - 1) * wp + g.outW;
    dyRow = xRow = 0;
    dyPlane = gridPlane;
  }
  std::vector<int64_t> off(static_cast<size_t>(K));
  for (int64_t c = 0, k = 0; c < C; c++)
    for (int64_t ky = 0; ky < g.kH; ky++)
      for (int64_t kx = 0; kx < g.kW; kx++) off[static_cast<size_t>(k++)] = c * padPlane + ky * wp + kx;

  // Each task: a share of the images, in blocks of about 64 vectors; partial sums of 16 lanes per
  // output between blocks, and the task's sums per output at the end.
  const int64_t tasks = threads;
  const int64_t perImage = rows * ((cols + 15) / 16);
  const int64_t block = std::clamp<int64_t>((64 + perImage - 1) / perImage, 1, g.batch);
  float* part = scratch(Slot::Extra, static_cast<size_t>(tasks * O * K * 17));
  float* sums = part + tasks * O * K * 16;
  const int64_t oTiles = (O + 3) / 4, jTiles = (K + 5) / 6;
  pool.parallelFor(tasks, threads, [&](int64_t t) {
    const int64_t n0 = g.batch * t / tasks, n1 = g.batch * (t + 1) / tasks;
    float* mine = part + t * O * K * 16;
    float* out = sums + t * O * K;
    for (int64_t b0 = n0; b0 < n1; b0 += block) {
      const int64_t count = std::min(block, n1 - b0);
      const FilterTileArgs a{dyRows + b0 * O * dyPlane, xpad + b0 * C * padPlane, off.data(), count, rows, cols,
                             dyRow, xRow, dyPlane, O * dyPlane, C * padPlane, K};
      const bool first = b0 == n0, last = b0 + count >= n1;
      for (int64_t ot = 0; ot < oTiles; ot++) {
        const int64_t o0 = ot * 4;
        const int mo = static_cast<int>(std::min<int64_t>(4, O - o0));
        for (int64_t jt = 0; jt < jTiles; jt++) {
          const int64_t j0 = jt * 6;
          filterTileFn(mo, static_cast<int>(std::min<int64_t>(6, K - j0)))(a, o0, j0, first, last, mine, out);
        }
      }
    }
  });
  for (int64_t i = 0; i < O * K; i++) {
    float s = 0.0f;
    for (int64_t t = 0; t < tasks; t++) s += sums[t * O * K + i];
    dw[i] = s;
  }
  return true;
#else
  (void)g, (void)x, (void)dy, (void)dw;
  return false;
#endif
}

}  // namespace stride
