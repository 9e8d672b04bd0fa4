// Pointwise convolution forward (see conv_pointwise.h).
//
// y[n, o, p] = sum_k w[o, k] * x[n, k, p]: in NCHW every input channel's plane is already a
// contiguous row along p, so the GEMM's B operand needs no packing at all. A register tile of
// 8 output channels x up to 3 vectors of pixels (24 accumulators on AVX-512; 4 channels on AVX2)
// runs over all K input channels reading x in place and broadcasting each weight from panels
// arranged once as [k][8 channels]; bias, residual and the clamp are applied while the tile is in
// registers and it is stored once. Work splits into independent (pixel tile, channel panel) units,
// so threads share nothing but the read-only input and weights. At batch > 1 a small plane's
// pixels continue into the next image's within one vector (7x7: 392 pixels in 25 vectors at batch
// 8, not 32), so every batch runs here: the packed GEMM took 3.7 ms for MobileNetV2's 320->1280
// 7x7 at batch 8 on 2 threads, this kernel 2.0 ms on 1.
//
// The packed GEMM ran these layers at 13-35 GMAC/s where K is small (MobileNetV2's 16..32 -> 96..192
// expansions on 112x112..28x28 planes): every tile there does only K multiply-adds per output
// against the driver's blocking, packing and C traffic.
#include "conv_pointwise.h"

#include <algorithm>
#include <vector>

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

// One tile's operands. A contiguous tile's pixel vectors follow each other within one image: x at
// (image, channel 0, first pixel), y and residual at (image, first output channel of the tile,
// first pixel), only the last vector partial (lastLanes). Where the images' planes are numbered
// one after another and cut into vectors (batch > 1, a plane that is not a whole number of
// vectors), a vector may end one image's plane and start the next one's: then x, y and residual
// point at image 0 (y and residual at the tile's first output channel) and vector j reads lanes
// mA[j] from offset xo[j] (its lane 0's image and pixel) and lanes mB[j] from offset xb[j] (lane l's
// pixel in the next image at xb[j] + l); y and residual the same way through yo and yb. Either
// way channel c of x is `plane` further on, as is output row i of y and residual.
struct Tile {
  const float* x;
  const float* w;  // the panel, offset to the tile's first channel within it
  const float* bias;  // at the tile's first channel, or null
  const float* residual;
  float* y;
  int64_t k, plane;
  int64_t xo[kMaxVecs], xb[kMaxVecs], yo[kMaxVecs], yb[kMaxVecs];
  uint32_t mA[kMaxVecs], mB[kMaxVecs];
  int lastLanes;  // a contiguous tile's valid lanes in its last vector
  bool prefetch;  // whether a contiguous tile fetches the input lines that follow its own
  bool general;  // whether the tile reads its vectors through the offsets (else contiguous)
  float lo, hi;
};

#if STRIDE_X86

// GENERAL: the tile reads its vectors through the offsets; PREFETCH: a contiguous tile fetches the
// input lines that follow its own.
template <int MO, int NV, bool GENERAL, bool PREFETCH>
STRIDE_TARGET_AVX512 void tile512(const Tile& t) {
  __mmask16 ma[NV], mb[NV];
  int64_t yo[NV], yb[NV];
#pragma GCC unroll 4
  for (int j = 0; j < NV; j++) {
    ma[j] = GENERAL ? static_cast<__mmask16>(t.mA[j]) : j + 1 < NV ? 0xFFFF : (1u << t.lastLanes) - 1;
    mb[j] = GENERAL ? static_cast<__mmask16>(t.mB[j]) : 0;
    yo[j] = GENERAL ? t.yo[j] : 16 * j;
    yb[j] = GENERAL ? t.yb[j] : 0;
  }
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
    for (int j = 0; j < NV; j++) __builtin_prefetch(t.y + yo[j] + i * t.plane, 1, 3);
  const float* xk = t.x;
  const float* wk = t.w;
  for (int64_t c = 0; c < t.k; c++, xk += t.plane, wk += kPanel) {
    __m512 xv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) {
      if (GENERAL)
        xv[j] = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(ma[j], xk + t.xo[j]), mb[j], xk + t.xb[j]);
      else
        xv[j] = j + 1 < NV ? _mm512_loadu_ps(xk + 16 * j) : _mm512_maskz_loadu_ps(ma[j], xk + 16 * j);
      if (PREFETCH) _mm_prefetch(reinterpret_cast<const char*>(xk + 16 * (NV + j)), _MM_HINT_T0);
    }
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
      __m512 v = _mm512_add_ps(acc[i][j], b);
      if (rr) {
        __m512 r = _mm512_maskz_loadu_ps(ma[j], rr + yo[j]);
        if (GENERAL) r = _mm512_mask_loadu_ps(r, mb[j], rr + yb[j]);
        v = _mm512_add_ps(v, r);
      }
      v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
      if (GENERAL || j + 1 == NV)
        _mm512_mask_storeu_ps(yr + yo[j], ma[j], v);
      else
        _mm512_storeu_ps(yr + yo[j], v);
      if (GENERAL) _mm512_mask_storeu_ps(yr + yb[j], mb[j], v);
    }
  }
}

template <int MO, int NV>
STRIDE_TARGET_AVX512 void kind512(const Tile& t) {
  if (t.general)
    tile512<MO, NV, true, false>(t);
  else if (t.prefetch)
    tile512<MO, NV, false, true>(t);
  else
    tile512<MO, NV, false, false>(t);
}

template <int MO>
STRIDE_TARGET_AVX512 void rows512(const Tile& t, int nv) {
  switch (nv) {
    case 3: return kind512<MO, 3>(t);
    case 2: return kind512<MO, 2>(t);
    default: return kind512<MO, 1>(t);
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
STRIDE_TARGET_AVX2 inline __m256i laneMask256(uint32_t bits) {
  const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(static_cast<int>(bits)), bit), bit);
}

template <int MO, int NV, bool GENERAL, bool PREFETCH>
STRIDE_TARGET_AVX2 void tile256(const Tile& t) {
  __m256i ma[NV], mb[NV];
  int64_t yo[NV], yb[NV];
#pragma GCC unroll 4
  for (int j = 0; j < NV; j++) {
    ma[j] = laneMask256(GENERAL ? t.mA[j] : j + 1 < NV ? 0xFFu : (1u << t.lastLanes) - 1);
    mb[j] = laneMask256(GENERAL ? t.mB[j] : 0);
    yo[j] = GENERAL ? t.yo[j] : 8 * j;
    yb[j] = GENERAL ? t.yb[j] : 0;
  }
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
    for (int j = 0; j < NV; j++) {
      // Masked-off lanes read as zero, so a vector's lanes from two images combine with an or.
      if (GENERAL)
        xv[j] = _mm256_or_ps(_mm256_maskload_ps(xk + t.xo[j], ma[j]), _mm256_maskload_ps(xk + t.xb[j], mb[j]));
      else
        xv[j] = j + 1 < NV ? _mm256_loadu_ps(xk + 8 * j) : _mm256_maskload_ps(xk + 8 * j, ma[j]);
      if (PREFETCH) _mm_prefetch(reinterpret_cast<const char*>(xk + 8 * (NV + j)), _MM_HINT_T0);
    }
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
      __m256 v = _mm256_add_ps(acc[i][j], b);
      if (rr) {
        __m256 r = _mm256_maskload_ps(rr + yo[j], ma[j]);
        if (GENERAL) r = _mm256_or_ps(r, _mm256_maskload_ps(rr + yb[j], mb[j]));
        v = _mm256_add_ps(v, r);
      }
      v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
      if (GENERAL || j + 1 == NV)
        _mm256_maskstore_ps(yr + yo[j], ma[j], v);
      else
        _mm256_storeu_ps(yr + yo[j], v);
      if (GENERAL) _mm256_maskstore_ps(yr + yb[j], mb[j], v);
    }
  }
}

template <int MO, int NV>
STRIDE_TARGET_AVX2 void kind256(const Tile& t) {
  if (t.general)
    tile256<MO, NV, true, false>(t);
  else if (t.prefetch)
    tile256<MO, NV, false, true>(t);
  else
    tile256<MO, NV, false, false>(t);
}

template <int MO>
STRIDE_TARGET_AVX2 void rows256(const Tile& t, int nv) {
  switch (nv) {
    case 3: return kind256<MO, 3>(t);
    case 2: return kind256<MO, 2>(t);
    default: return kind256<MO, 1>(t);
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

// Output channels in lanes (AVX-512), for planes that are not a whole number of pixel vectors
// (7x7: 49 pixels fill 49 of the pixel kernel's 64 lanes): a tile of up to 3 vectors of 16 output
// channels x up to 8 pixels of one image loads each channel's weights as vectors from panels
// arranged once as [k][48 channels] and broadcasts the input pixels; the epilogue reads the
// residual and writes y through a gather and a scatter down the channels (a row `plane` apart).
constexpr int kOcPanel = 48;  // output channels per panel of the channels-in-lanes kernel
constexpr int kOcPixels = 8;  // its most pixels per tile

// Channels-in-lanes panels: panel q holds output channels 48q .. 48q+47 as K groups of 48 values,
// zero past the last channel.
void arrangeOcWeights(const float* w, int64_t outChannels, int64_t k, float* dst) {
  const int64_t panels = (outChannels + kOcPanel - 1) / kOcPanel;
  for (int64_t q = 0; q < panels; q++) {
    float* panel = dst + q * kOcPanel * k;
    for (int64_t c = 0; c < k; c++)
      for (int i = 0; i < kOcPanel; i++) {
        const int64_t o = q * kOcPanel + i;
        panel[c * kOcPanel + i] = o < outChannels ? w[o * k + c] : 0.0f;
      }
  }
}

// A channels-in-lanes tile: x at (image, channel 0, first pixel), y and residual at (image, first
// output channel, first pixel), w at the panel; `lastMask` the valid lanes of the last vector.
struct OcTile {
  const float* x;
  const float* w;
  const float* bias;  // at the tile's first channel, or null
  const float* residual;
  float* y;
  int64_t k, plane;
  uint32_t lastMask;
  float lo, hi;
};

#if STRIDE_X86

template <int V, int P>
STRIDE_TARGET_AVX512 void ocTile512(const OcTile& t) {
  __m512 acc[P][V];
#pragma GCC unroll 8
  for (int i = 0; i < P; i++)
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) acc[i][v] = _mm512_setzero_ps();
  const float* xk = t.x;
  const float* wk = t.w;
  for (int64_t c = 0; c < t.k; c++, xk += t.plane, wk += kOcPanel) {
    __m512 wv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; v++) wv[v] = _mm512_loadu_ps(wk + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < P; i++) {
      const __m512 xb = _mm512_set1_ps(xk[i]);
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) acc[i][v] = _mm512_fmadd_ps(wv[v], xb, acc[i][v]);
    }
  }
  const __m512 lo = _mm512_set1_ps(t.lo), hi = _mm512_set1_ps(t.hi);
  const __m512i rows = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                          _mm512_set1_epi32(static_cast<int>(t.plane)));
#pragma GCC unroll 4
  for (int v = 0; v < V; v++) {
    const __mmask16 m = v + 1 < V ? 0xFFFF : static_cast<__mmask16>(t.lastMask);
    const __m512 b = t.bias ? _mm512_maskz_loadu_ps(m, t.bias + 16 * v) : _mm512_setzero_ps();
    const int64_t at = 16 * v * t.plane;
#pragma GCC unroll 8
    for (int i = 0; i < P; i++) {
      __m512 y = _mm512_add_ps(acc[i][v], b);
      if (t.residual)
        y = _mm512_add_ps(y, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, rows, t.residual + at + i, 4));
      y = _mm512_min_ps(_mm512_max_ps(y, lo), hi);
      _mm512_mask_i32scatter_ps(t.y + at + i, m, rows, y, 4);
    }
  }
}

template <int V>
STRIDE_TARGET_AVX512 void ocPixels512(const OcTile& t, int pixels) {
  switch (pixels) {
    case 8: return ocTile512<V, 8>(t);
    case 7: return ocTile512<V, 7>(t);
    case 6: return ocTile512<V, 6>(t);
    case 5: return ocTile512<V, 5>(t);
    case 4: return ocTile512<V, 4>(t);
    case 3: return ocTile512<V, 3>(t);
    case 2: return ocTile512<V, 2>(t);
    default: return ocTile512<V, 1>(t);
  }
}

STRIDE_TARGET_AVX512 void ocPanel512(const OcTile& t, int vecs, int pixels) {
  switch (vecs) {
    case 3: return ocPixels512<3>(t, pixels);
    case 2: return ocPixels512<2>(t, pixels);
    default: return ocPixels512<1>(t, pixels);
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
  // Pixel vectors. At batch > 1 a plane that is not a whole number of vectors (7x7, 14x14) is not
  // rounded up per image: the images' planes are numbered one after another and cut into vectors,
  // so a vector may end one image's plane and start the next one's (at batch 8 a 7x7 plane's 49
  // pixels would otherwise fill 49 of 64 lanes). Otherwise each image's plane is a row of vectors
  // of its own. A row's vectors run in tiles of at most kMaxVecs, as even as possible (13 vectors:
  // 3, 3, 3, 2, 2).
  const int lanes = isa == Isa::Avx512 ? 16 : 8;
  const bool joined = g.batch > 1 && plane > lanes && plane % lanes != 0;
  const int64_t rows = joined ? 1 : g.batch;
  const int64_t rowPixels = joined ? g.batch * plane : plane;
  const int64_t rowVecs = (rowPixels + lanes - 1) / lanes;
  const int64_t panels = (outChannels + kPanel - 1) / kPanel;
  const int64_t ocPanels = (outChannels + kOcPanel - 1) / kOcPanel;
  const size_t pixelSize = static_cast<size_t>(panels * kPanel * k);
  const size_t ocSize = static_cast<size_t>(ocPanels * kOcPanel * k);
  // Where whole vectors of pixels would leave many lanes idle (a 7x7 plane at batch 1 fills 49 of
  // 64), output channels go in the lanes instead. Measured against the pixel kernel on 1 thread, in
  // one process, alternating (MobileNetV2's 7x7 layers): 1.10x (160->960) to 1.30x (960->320) at
  // batch 1; at batch 8, where the images' pixels are joined, 0.83x (160->960: its scatter down
  // the channels weighs more against 160 multiply-adds per output) to 1.1x (960->320), so joined
  // rows stay with the pixel kernel, as do 14x14 planes (196 of 208 lanes), where it was slower.
  const bool useOc =
      isa == Isa::Avx512 && static_cast<double>(rowPixels) < 0.85 * static_cast<double>(rowVecs * lanes);
  // The pixel kernel's panels come first in packed->pointwise, the channels-in-lanes kernel's (once
  // a call needs them) after them.
  const float* wp;
  if (packed) {
    std::vector<float>& arranged = packed->pointwise;
    const size_t want = pixelSize + (useOc ? ocSize : 0);
    if (arranged.size() != want && arranged.size() != pixelSize + ocSize) {
      arranged.resize(want);
      arrangeWeights(w, outChannels, k, arranged.data());
      if (useOc) arrangeOcWeights(w, outChannels, k, arranged.data() + pixelSize);
    }
    wp = arranged.data() + (useOc ? pixelSize : 0);
  } else {
    float* dst = scratch(Slot::PackA, useOc ? ocSize : pixelSize);
    if (useOc)
      arrangeOcWeights(w, outChannels, k, dst);
    else
      arrangeWeights(w, outChannels, k, dst);
    wp = dst;
  }
  const double flops = 2.0 * static_cast<double>(g.batch * outChannels * plane * k);
  const int threads = threadsFor(flops);
  if (useOc) {
    // Units: (image, channel panel, pixel tile), pixel tiles fastest so that consecutive units read
    // the same panel; tiles of at most 8 pixels, as even as possible (49 pixels: 7 x 7).
    const int64_t pixTiles = (plane + kOcPixels - 1) / kOcPixels;
    const int64_t pbase = plane / pixTiles, pextra = plane % pixTiles;
    const int64_t units = g.batch * ocPanels * pixTiles;
    const int64_t tasks = threads == 1 ? 1 : std::min<int64_t>(units, threads * 8);
    ThreadPool::instance().parallelFor(tasks, threads, [&](int64_t task) {
      const int64_t u0 = task * units / tasks, u1 = (task + 1) * units / tasks;
      for (int64_t u = u0; u < u1; u++) {
        const int64_t tile = u % pixTiles, q = (u / pixTiles) % ocPanels, n = u / (pixTiles * ocPanels);
        const int64_t p0 = tile * pbase + std::min(tile, pextra);
        const int pixels = static_cast<int>(pbase + (tile < pextra ? 1 : 0));
        const int64_t o0 = q * kOcPanel;
        const int64_t rest = std::min<int64_t>(kOcPanel, outChannels - o0);
        const int vecs = static_cast<int>((rest + 15) / 16);
        OcTile t;
        t.x = x + n * k * plane + p0;
        t.w = wp + q * kOcPanel * k;
        t.bias = bias ? bias + o0 : nullptr;
        const int64_t at = (n * outChannels + o0) * plane + p0;
        t.residual = residual ? residual + at : nullptr;
        t.y = y + at;
        t.k = k;
        t.plane = plane;
        t.lastMask = (1u << (rest - 16 * (vecs - 1))) - 1;
        t.lo = lo;
        t.hi = hi;
        ocPanel512(t, vecs, pixels);
      }
    });
    return true;
  }

  const int64_t tilesPerRow = (rowVecs + kMaxVecs - 1) / kMaxVecs;
  const int64_t base = rowVecs / tilesPerRow, extra = rowVecs % tilesPerRow;
  const int64_t tiles = rows * tilesPerRow;
  const int64_t units = tiles * panels;
  // Units run in blocks of consecutive pixel tiles, weight panel by panel within a block. Small
  // weights (at most 48 KiB: every layer with up to about 12K weights) stay in cache anyway: blocks
  // of one tile, whose input stays in L1 across all the panels. Larger ones (the 14x14 and 7x7
  // layers hold 0.1-1.6 MB) would be read from L3 once per tile that way; blocks of about 512 KiB
  // of input (half of an L2) read them once per block instead, each panel staying in L1 across the
  // block's tiles (and the block's input in L2 across the panels).
  const int64_t tileBytes = k * kMaxVecs * lanes * static_cast<int64_t>(sizeof(float));
  const bool smallWeights = outChannels * k * static_cast<int64_t>(sizeof(float)) <= 48 * 1024;
  const int64_t block = smallWeights ? 1 : std::clamp<int64_t>((512 * 1024) / tileBytes, 1, tiles);
  const uint32_t full = (1u << lanes) - 1;
  // Large planes' input (56x56 and up: 0.3-1.8 MB an image in MobileNetV2) comes from L3 or memory
  // in rows `plane` apart, more streams than the hardware prefetcher follows: each tile fetches the
  // lines of the next one as it reads its own. Measured on 1 thread, in one process, alternating,
  // cycling through 6 buffers: 32->16 112x112 1.2-1.4x, 16->96 1.05-1.1x, 144->24 56x56 up to 1.4x
  // (batch 8: 1.2-1.5x); with the input in cache 0.99-1.06x, and 0.95x on a 28x28 layer, which is
  // therefore left out.
  const bool prefetch = plane >= 56 * 56;
  // Several tasks per thread, so that a helper that wakes late still gets its share.
  const int64_t tasks = threads == 1 ? 1 : std::min<int64_t>(units, threads * 8);
  ThreadPool::instance().parallelFor(tasks, threads, [&](int64_t task) {
    const int64_t u0 = task * units / tasks, u1 = (task + 1) * units / tasks;
    for (int64_t u = u0; u < u1; u++) {
      // Unit u: block b of tiles [b * block, + inBlock), panel q, tile within the block.
      const int64_t b = u / (block * panels), first = b * block;
      const int64_t inBlock = std::min(block, tiles - first);
      const int64_t r = u - first * panels;
      const int64_t q = r / inBlock, tile = first + r % inBlock;
      const int64_t row = tile / tilesPerRow, inRow = tile % tilesPerRow;
      const int64_t v0 = inRow * base + std::min(inRow, extra);
      const int nv = static_cast<int>(base + (inRow < extra ? 1 : 0));
      const int64_t o0 = q * kPanel;
      const int mo = static_cast<int>(std::min<int64_t>(kPanel, outChannels - o0));
      Tile t;
      // The first pixel of vector v of the tile's row, as (image, pixel), and its lanes in that image.
      const auto at = [&](int64_t v, int64_t& n, int64_t& p) {
        n = joined ? v * lanes / plane : row;
        p = joined ? v * lanes - n * plane : v * lanes;
        return static_cast<int>(std::min<int64_t>(lanes, plane - p));
      };
      int64_t n0, p0, nLast, pLast;
      at(v0, n0, p0);
      const int lastLanes = at(v0 + nv - 1, nLast, pLast);
      // Contiguous unless the tile reaches into another image.
      t.general = nLast != n0 || (joined && lastLanes < lanes && nLast + 1 < g.batch);
      if (t.general) {
        for (int j = 0; j < nv; j++) {
          int64_t n, p;
          const int a = at(v0 + j, n, p);
          const bool more = a < lanes && n + 1 < g.batch;
          t.xo[j] = n * k * plane + p;
          t.yo[j] = n * outChannels * plane + p;
          // A vector that stays in its image reads and writes nothing more, at its own address:
          // an access with every lane masked off still costs a slow assist where its address lies
          // past the buffer's mapped pages (the last image's "next image"; 960->320 7x7 at batch 8
          // ran 8x slower that way).
          t.xb[j] = more ? (n + 1) * k * plane - a : t.xo[j];
          t.yb[j] = more ? (n + 1) * outChannels * plane - a : t.yo[j];
          t.mA[j] = (1u << a) - 1;
          t.mB[j] = more ? full & ~t.mA[j] : 0;
        }
        n0 = 0;
        p0 = 0;
      }
      t.lastLanes = lastLanes;
      t.prefetch = prefetch;
      t.x = x + n0 * k * plane + p0;
      t.w = wp + q * kPanel * k;
      t.bias = bias ? bias + o0 : nullptr;
      const int64_t yAt = (n0 * outChannels + o0) * plane + p0;
      t.residual = residual ? residual + yAt : nullptr;
      t.y = y + yAt;
      t.k = k;
      t.plane = plane;
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
