// Pointwise convolution forward (see conv_pointwise.h).
//
// y[n, o, p] = sum_k w[o, k] * x[n, k, p]: in NCHW every input channel's plane is already a
// contiguous row along p, so the GEMM's B operand needs no packing at all. A register tile of
// 8 output channels x up to 3 vectors of pixels (24 accumulators on AVX-512; 4 channels on AVX2)
// runs over all K input channels reading x in place and broadcasting each weight from panels
// arranged once as [k][8 channels]; bias, residual and the clamp are applied while the tile is in
// registers and it is stored once. Work splits into independent (image, pixel tile, channel
// panel) units, so threads share nothing but the read-only input and weights.
//
// The packed GEMM ran these layers at 13-35 GMAC/s where K is small (MobileNetV2's 16..32 -> 96..192
// expansions on 112x112..28x28 planes): every tile there does only K multiply-adds per output
// against the driver's blocking, packing and C traffic.
#include "conv_pointwise.h"

#include <algorithm>

#include "cpu.h"
#include "thread_pool.h"
#include "workspace.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

constexpr int kPanel = 8;  // output channels per weight panel (and per AVX-512 tile)
constexpr int kMaxVecs = 3;  // pixel vectors per tile

// Weight panels: panel q holds output channels 8q .. 8q+7 as K groups of 8 values (k-major),
// zero past the last channel.
void arrangeWeights(const float* w, int64_t outChannels, int64_t k, float* dst) {
  const int64_t panels = (outChannels + kPanel - 1) / kPanel;
  for (int64_t q = 0; q < panels; q++) {
    float* panel = dst + q * kPanel * k;
    for (int i = 0; i < kPanel; i++) {
      const int64_t o = q * kPanel + i;
      if (o < outChannels) {
        const float* row = w + o * k;
        for (int64_t c = 0; c < k; c++) panel[c * kPanel + i] = row[c];
      } else {
        for (int64_t c = 0; c < k; c++) panel[c * kPanel + i] = 0.0f;
      }
    }
  }
}

// One tile's operands: x at (image, channel 0, first pixel), y and residual at (image, first output
// channel of the tile, first pixel); rows of x, y and residual are `plane` apart.
struct Tile {
  const float* x;
  const float* w;  // the panel, offset to the tile's first channel within it
  const float* bias;  // at the tile's first channel, or null
  const float* residual;
  float* y;
  int64_t k, plane;
  int lastLanes;  // valid lanes of the tile's last pixel vector
  float lo, hi;
};

#if STRIDE_X86

template <int MO, int NV>
STRIDE_TARGET_AVX512 void tile512(const Tile& t) {
  const __mmask16 m = static_cast<__mmask16>((1u << t.lastLanes) - 1);
  __m512 acc[MO][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MO; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();
  // The tile's output lines are fetched for writing while the K loop runs: inside a model the
  // output buffer is rarely in cache. Measured on 16->96 112x112 and 24->144 56x56 cycling through 8
  // buffers (1 thread): fastest call 1.15-1.2x, median 1.0-1.14x; no change on a buffer in cache.
#pragma GCC unroll 8
  for (int i = 0; i < MO; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) __builtin_prefetch(t.y + i * t.plane + 16 * j, 1, 3);
  const float* xk = t.x;
  const float* wk = t.w;
  for (int64_t c = 0; c < t.k; c++, xk += t.plane, wk += kPanel) {
    __m512 xv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++)
      xv[j] = j + 1 < NV ? _mm512_loadu_ps(xk + 16 * j) : _mm512_maskz_loadu_ps(m, xk + 16 * j);
#pragma GCC unroll 8
    for (int i = 0; i < MO; i++) {
      const __m512 wv = _mm512_set1_ps(wk[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; j++) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  const __m512 lo = _mm512_set1_ps(t.lo), hi = _mm512_set1_ps(t.hi);
#pragma GCC unroll 8
  for (int i = 0; i < MO; i++) {
    const __m512 b = _mm512_set1_ps(t.bias ? t.bias[i] : 0.0f);
    float* yr = t.y + i * t.plane;
    const float* rr = t.residual ? t.residual + i * t.plane : nullptr;
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) {
      const bool last = j + 1 == NV;
      __m512 v = _mm512_add_ps(acc[i][j], b);
      if (rr) v = _mm512_add_ps(v, last ? _mm512_maskz_loadu_ps(m, rr + 16 * j) : _mm512_loadu_ps(rr + 16 * j));
      v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
      if (last)
        _mm512_mask_storeu_ps(yr + 16 * j, m, v);
      else
        _mm512_storeu_ps(yr + 16 * j, v);
    }
  }
}

template <int MO>
STRIDE_TARGET_AVX512 void rows512(const Tile& t, int nv) {
  switch (nv) {
    case 3: return tile512<MO, 3>(t);
    case 2: return tile512<MO, 2>(t);
    default: return tile512<MO, 1>(t);
  }
}

STRIDE_TARGET_AVX512 void panel512(const Tile& t, int mo, int nv) {
  switch (mo) {
    case 8: return rows512<8>(t, nv);
    case 7: return rows512<7>(t, nv);
    case 6: return rows512<6>(t, nv);
    case 5: return rows512<5>(t, nv);
    case 4: return rows512<4>(t, nv);
    case 3: return rows512<3>(t, nv);
    case 2: return rows512<2>(t, nv);
    default: return rows512<1>(t, nv);
  }
}

// AVX2: 16 registers hold 4 channels x 3 vectors of 8 pixels, the 3 input vectors and a weight.
STRIDE_TARGET_AVX2 inline __m256i laneMask256(int lanes) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), idx);
}

template <int MO, int NV>
STRIDE_TARGET_AVX2 void tile256(const Tile& t) {
  const __m256i m = laneMask256(t.lastLanes);
  __m256 acc[MO][NV];
#pragma GCC unroll 4
  for (int i = 0; i < MO; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) acc[i][j] = _mm256_setzero_ps();
  const float* xk = t.x;
  const float* wk = t.w;
  for (int64_t c = 0; c < t.k; c++, xk += t.plane, wk += kPanel) {
    __m256 xv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++)
      xv[j] = j + 1 < NV ? _mm256_loadu_ps(xk + 8 * j) : _mm256_maskload_ps(xk + 8 * j, m);
#pragma GCC unroll 4
    for (int i = 0; i < MO; i++) {
      const __m256 wv = _mm256_broadcast_ss(wk + i);
#pragma GCC unroll 4
      for (int j = 0; j < NV; j++) acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  const __m256 lo = _mm256_set1_ps(t.lo), hi = _mm256_set1_ps(t.hi);
#pragma GCC unroll 4
  for (int i = 0; i < MO; i++) {
    const __m256 b = _mm256_set1_ps(t.bias ? t.bias[i] : 0.0f);
    float* yr = t.y + i * t.plane;
    const float* rr = t.residual ? t.residual + i * t.plane : nullptr;
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) {
      const bool last = j + 1 == NV;
      __m256 v = _mm256_add_ps(acc[i][j], b);
      if (rr) v = _mm256_add_ps(v, last ? _mm256_maskload_ps(rr + 8 * j, m) : _mm256_loadu_ps(rr + 8 * j));
      v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
      if (last)
        _mm256_maskstore_ps(yr + 8 * j, m, v);
      else
        _mm256_storeu_ps(yr + 8 * j, v);
    }
  }
}

template <int MO>
STRIDE_TARGET_AVX2 void rows256(const Tile& t, int nv) {
  switch (nv) {
    case 3: return tile256<MO, 3>(t);
    case 2: return tile256<MO, 2>(t);
    default: return tile256<MO, 1>(t);
  }
}

// A panel of up to 8 channels as two tiles of up to 4.
STRIDE_TARGET_AVX2 void panel256(const Tile& t, int mo, int nv) {
  for (int r0 = 0; r0 < mo; r0 += 4) {
    Tile s = t;
    s.w += r0;
    if (s.bias) s.bias += r0;
    if (s.residual) s.residual += r0 * t.plane;
    s.y += r0 * t.plane;
    switch (std::min(4, mo - r0)) {
      case 4: rows256<4>(s, nv); break;
      case 3: rows256<3>(s, nv); break;
      case 2: rows256<2>(s, nv); break;
      default: rows256<1>(s, nv); break;
    }
  }
}

#endif  // STRIDE_X86

}  // namespace

bool pointwiseApplies(const ConvGeometry& g) {
  return g.groups == 1 && g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
         g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
}

bool pointwiseForward(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                      const float* bias, const float* residual, float lo, float hi, float* y) {
#if STRIDE_X86
  const Isa isa = activeIsa();
  if ((isa != Isa::Avx512 && isa != Isa::Avx2) || !pointwiseApplies(g)) return false;
  const int64_t k = g.inChannels, plane = g.outH * g.outW, outChannels = g.outChannels;
  if (k == 0 || plane == 0 || outChannels == 0 || g.batch == 0) return false;
  // Pixel tiles of at most kMaxVecs vectors, as even as possible (13 vectors: 3, 3, 3, 2, 2); only
  // the plane's last vector is partial.
  const int lanes = isa == Isa::Avx512 ? 16 : 8;
  const int64_t vecs = (plane + lanes - 1) / lanes;
  // Each image's plane rounds up to whole vectors. The packed GEMM runs the pixels of all images as
  // one row (an image's last vector continues into the next), so at batch > 1 it keeps the lanes a
  // small plane would leave idle here: measured at batch 8, 960->320 7x7 (49 of 64 lanes), 1
  // thread, fastest of 25 calls, it ran 1.09x faster than this kernel; at batch 1 this kernel was
  // 1.1x faster.
  if (g.batch > 1 && static_cast<double>(plane) < 0.85 * static_cast<double>(vecs * lanes)) return false;
  const int64_t panels = (outChannels + kPanel - 1) / kPanel;
  const size_t arranged = static_cast<size_t>(panels * kPanel * k);
  const float* wp;
  if (packed) {
    if (packed->pointwise.size() != arranged) {
      packed->pointwise.resize(arranged);
      arrangeWeights(w, outChannels, k, packed->pointwise.data());
    }
    wp = packed->pointwise.data();
  } else {
    float* dst = scratch(Slot::PackA, arranged);
    arrangeWeights(w, outChannels, k, dst);
    wp = dst;
  }

  const int64_t tiles = (vecs + kMaxVecs - 1) / kMaxVecs;
  const int64_t base = vecs / tiles, extra = vecs % tiles;
  const int lastLanes = static_cast<int>(plane - (vecs - 1) * lanes);
  const int64_t units = g.batch * tiles * panels;
  const double flops = 2.0 * static_cast<double>(g.batch * outChannels * plane * k);
  const int threads = threadsFor(flops);
  // Units run in blocks of consecutive (image, pixel tile) pairs, weight panel by panel within a
  // block. Small weights (at most 48 KiB: every layer with up to about 12K weights) stay in cache
  // anyway: blocks of one tile, whose input stays in L1 across all the panels. Larger ones (the
  // 14x14 and 7x7 layers hold 0.1-1.6 MB) would be read from L3 once per tile that way; blocks of
  // about 512 KiB of input (half of an L2) read them once per block instead, each panel staying in
  // L1 across the block's tiles (and the block's input in L2 across the panels).
  const int64_t pairs = g.batch * tiles;
  const int64_t tileBytes = k * kMaxVecs * lanes * static_cast<int64_t>(sizeof(float));
  const bool smallWeights = outChannels * k * static_cast<int64_t>(sizeof(float)) <= 48 * 1024;
  const int64_t block = smallWeights ? 1 : std::clamp<int64_t>((512 * 1024) / tileBytes, 1, pairs);
  // Several tasks per thread, so that a helper that wakes late still gets its share.
  const int64_t tasks = threads == 1 ? 1 : std::min<int64_t>(units, threads * 8);
  ThreadPool::instance().parallelFor(tasks, threads, [&](int64_t task) {
    const int64_t u0 = task * units / tasks, u1 = (task + 1) * units / tasks;
    for (int64_t u = u0; u < u1; u++) {
      // Unit u: block b of pairs [b * block, + inBlock), panel q, pair within the block.
      const int64_t b = u / (block * panels), first = b * block;
      const int64_t inBlock = std::min(block, pairs - first);
      const int64_t r = u - first * panels;
      const int64_t q = r / inBlock, pair = first + r % inBlock;
      const int64_t tile = pair % tiles, n = pair / tiles;
      const int64_t v0 = tile * base + std::min(tile, extra);
      const int nv = static_cast<int>(base + (tile < extra ? 1 : 0));
      const int64_t p0 = v0 * lanes, o0 = q * kPanel;
      const int mo = static_cast<int>(std::min<int64_t>(kPanel, outChannels - o0));
      Tile t;
      t.x = x + n * k * plane + p0;
      t.w = wp + q * kPanel * k;
      t.bias = bias ? bias + o0 : nullptr;
      const int64_t at = (n * outChannels + o0) * plane + p0;
      t.residual = residual ? residual + at : nullptr;
      t.y = y + at;
      t.k = k;
      t.plane = plane;
      t.lastLanes = v0 + nv == vecs ? lastLanes : lanes;
      t.lo = lo;
      t.hi = hi;
      if (isa == Isa::Avx512)
        panel512(t, mo, nv);
      else
        panel256(t, mo, nv);
    }
  });
  return true;
#else
  (void)g, (void)x, (void)w, (void)packed, (void)bias, (void)residual, (void)lo, (void)hi, (void)y;
  return false;
#endif
}

}  // namespace stride
