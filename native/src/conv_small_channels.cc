// Direct convolution for few channels (see conv_small_channels.h).
//
// y[n, o, oy, ox] = sum over k = (c, ky, kx) of w[o, k] * xpad[n, c, oy + ky, ox + kx], with xpad
// the input zero-padded so that every window lies inside it. A tile is MR output channels (a
// panel) by NV vectors of 16 output pixels; each vector is a run of one output row, so tap k of
// vector v starts at src[v] + off[k] in xpad. Per tap: NV loads, MR broadcasts, MR * NV FMAs; the
// accumulators never leave registers until the epilogue writes them. Unlike the indirect GEMM path
// (conv.cc), a tile may take its vectors from different output rows, so 16-pixel-wide outputs
// still fill 2-3 vectors per tap, and panels split the channels evenly (20 = 10 + 10, not 12 + 8).
#include "conv_small_channels.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu.h"
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
  if (g.outChannels < 1 || g.outChannels > kMaxChannels || g.outW < 1 || g.outH < 1) return false;
  if (g.inChannels * g.kH * g.kW > kMaxTaps) return false;
  // Lanes in use: a 10-wide output (LeNet's second layer) would leave 6 of 16 idle.
  return 4 * g.outW >= 3 * 16 * vectorsPerRow(g);
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
  const int64_t* off;   // tap offsets within a padded image
  int64_t plane;        // outH * outW (channel stride of y and the residual)
  const float* bias;    // the panel's first bias, or null
  bool relu;
};

template <int MR, int NV>
STRIDE_TARGET_AVX512 void directTile(const TileArgs& a, const float* const* src, const __mmask16* mask,
                                     float* const* dst, const float* const* res) {
  __m512 acc[MR][NV];
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  const float* wk = a.wp;
  for (int64_t k = 0; k < a.taps; k++, wk += MR) {
    const int64_t o = a.off[k];
    __m512 b[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) b[v] = _mm512_maskz_loadu_ps(mask[v], src[v] + o);
#pragma GCC unroll 12
    for (int r = 0; r < MR; r++) {
      const __m512 wr = _mm512_set1_ps(wk[r]);
#pragma GCC unroll 3
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(wr, b[v], acc[r][v]);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < MR; r++) {
    const __m512 bias = a.bias ? _mm512_set1_ps(a.bias[r]) : zero;
#pragma GCC unroll 3
    for (int v = 0; v < NV; v++) {
      __m512 out = _mm512_add_ps(acc[r][v], bias);
      if (res) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(mask[v], res[v] + r * a.plane));
      if (a.relu) out = _mm512_max_ps(out, zero);
      _mm512_mask_storeu_ps(dst[v] + r * a.plane, mask[v], out);
    }
  }
}

using TileFn = void (*)(const TileArgs&, const float* const*, const __mmask16*, float* const*, const float* const*);

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
    default: return tileFor<3>(rows);
  }
}

}  // namespace

bool smallChannelsForward(const ConvGeometry& g, const float* x, const float* w, const ConvEpilogue* e, float* y) {
  if (!smallChannelsForwardApplies(g)) return false;
  const int64_t O = g.outChannels, C = g.inChannels, K = C * g.kH * g.kW;
  const int64_t hp = g.outH + g.kH - 1, wp = g.outW + g.kW - 1, padPlane = hp * wp;
  const int64_t plane = g.outH * g.outW, inPlane = g.inH * g.inW;
  const double flops = 2.0 * static_cast<double>(g.batch * O * K * plane);
  const int threads = threadsFor(flops);
  ThreadPool& pool = ThreadPool::instance();

  // Panels: the channels split evenly into panels of at most 12 rows; 3 vectors per tile when a
  // panel has at most 8 rows (24 accumulators either way).
  const int64_t panels = (O + kMaxRows - 1) / kMaxRows;
  const int mr = static_cast<int>((O + panels - 1) / panels);
  const int nv = mr <= 8 ? 3 : 2;

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

  // The zero-padded input, one plane per task.
  float* xpad = scratch(Slot::Pad, static_cast<size_t>(g.batch * C * padPlane));
  pool.parallelFor(g.batch * C, threads, [&](int64_t t) {
    float* dst = xpad + t * padPlane;
    const float* src = x + t * inPlane;
    const int64_t x0 = std::max<int64_t>(0, g.padLeft), x1 = std::min<int64_t>(wp, g.inW + g.padLeft);
    for (int64_t py = 0; py < hp; py++) {
      float* row = dst + py * wp;
      const int64_t iy = py - g.padTop;
      if (iy < 0 || iy >= g.inH || x1 <= x0) {
        std::memset(row, 0, wp * sizeof(float));
        continue;
      }
      std::memset(row, 0, x0 * sizeof(float));
      std::memcpy(row + x0, src + iy * g.inW + (x0 - g.padLeft), (x1 - x0) * sizeof(float));
      std::memset(row + x1, 0, (wp - x1) * sizeof(float));
    }
  });

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
      const TileArgs a{wpk + p * mr * K, K, off.data(), plane, e && e->bias ? e->bias + o0 : nullptr,
                       e && e->relu};
      float* yPanel = y + (n * O + o0) * plane;
      const float* rPanel = residual ? e->residual + (n * O + o0) * plane : nullptr;
      for (int64_t tile = tile0; tile < tile1; tile++) {
        const float* src[3];
        float* dst[3];
        const float* res[3];
        __mmask16 mask[3];
        const int64_t v0 = tile * nv;
        const int count = static_cast<int>(std::min<int64_t>(nv, vectors - v0));
        for (int v = 0; v < count; v++) {
          const int64_t oy = (v0 + v) / vrow, q = (v0 + v) % vrow, ox = q * 16;
          src[v] = xImage + oy * wp + ox;
          dst[v] = yPanel + oy * g.outW + ox;
          res[v] = rPanel ? rPanel + oy * g.outW + ox : nullptr;
          mask[v] = q + 1 < vrow ? static_cast<__mmask16>(0xFFFF) : lastMask;
        }
        tileFn(rows, count)(a, src, mask, dst, residual ? res : nullptr);
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
