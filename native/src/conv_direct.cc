// Direct convolution forward (see conv_direct.h), in the manner of ONNX Runtime's MLAS NCHWc
// kernels but reading and writing NCHW tensors as they are.
//
// Output channels lie in the vector lanes: the weights are arranged once as
// [output vector of 16 channels][input channel][ky][kx][16 lanes], and a register tile of MO
// output vectors x NW output pixels along one output row (4 x 6, 3 x 8, 2 x 12 or 1 x 12
// accumulators) runs over every (input channel, ky, kx): MO weight vectors are loaded and each of
// the NW input values the tile's pixels read at that tap is broadcast into MO multiply-adds. The
// input is read in place through the pixel's position (ox * strideW - padLeft + kx * dilationW), so
// stride and dilation cost nothing extra. Padding is skipped, not copied: each output row runs only
// its kernel rows inside the input, and each row splits into border pixels (one-pixel tiles over
// the kernel columns inside the input) and an interior whose pixels all read every column.
//
// Tiles land in a small per-thread buffer, pixel by pixel with the channels along each pixel; every
// 16 x 16 block of it is transposed in registers into 16 channel rows of 16 pixels, which get the
// epilogue (bias, residual, clamp) and are stored to y. Work splits into (image, group of 4 output
// vectors, output row) units, so both threads work at batch 1 and the images spread at batch > 1.
#include "conv_direct.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu.h"
#include "thread_pool.h"
#include "workspace.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

constexpr int kLanes = 16;     // output channels per vector
constexpr int kMaxGroup = 4;   // most output vectors per tile
constexpr int64_t kChunkPixels = 128;  // most output pixels a unit of work sums in its buffer
constexpr int64_t kBlockBytes = 32 * 1024;  // weights of one block of input channels of a tile group

// Weights of tile group q (output vectors Gq .. Gq + mo - 1, mo = G but for the last group): `taps`
// blocks of mo * 16 values, tap k = (c, ky, kx) in w's order, so that a tile's weights at one tap
// are one contiguous run; zero past the last channel. Group q starts at q * G * taps * 16.
void arrangeWeights(const float* w, int64_t outChannels, int64_t taps, int64_t vectors, int group, int64_t q,
                    float* dst) {
  const int64_t vec0 = q * group;
  const int64_t mo = std::min<int64_t>(group, vectors - vec0), width = mo * kLanes;
  float* d = dst + vec0 * taps * kLanes;
  const float* rows = w + vec0 * kLanes * taps;
  const int64_t valid = std::min(width, outChannels - vec0 * kLanes);
  // Tap by tap: the stores run along dst and the loads along `valid` rows of w at once (a few KB of
  // lines in L1), where lane by lane every store would touch another line of the group's block.
  for (int64_t k = 0; k < taps; k++) {
    float* dk = d + k * width;
    for (int64_t l = 0; l < valid; l++) dk[l] = rows[l * taps + k];
    for (int64_t l = valid; l < width; l++) dk[l] = 0.0f;
  }
}

// Output vectors per tile for a weight shape (not the input's: prepared weights keep one
// arrangement). Tiles of 3 vectors x up to 8 pixels load 3 weight vectors per 24 multiply-adds
// where 4 x 6 load 4: where the weights stream from L2 (more than a few dozen input channels) that
// traffic bounds the speed. Measured on ResNet-18's strided layers (1 thread, one process, old and
// new alternating): 1x1 stride-2 256 -> 512 on 14x14 ran 1.7x faster with groups of 3 than of 4
// (7-pixel rows: one tile of 7 against tiles of 4 and 3), the 3x3 stride-2 ones 1.05-1.1x.
// Groups of 4 stay where 3 would leave a narrow last group (64 channels: 3 + 1).
int tileGroup(int64_t vectors) {
  if (vectors >= 6) return 3;
  return static_cast<int>(std::min<int64_t>(kMaxGroup, vectors));
}

constexpr int maxPixels(int mo) { return mo == 4 ? 6 : mo == 3 ? 8 : 12; }

#if STRIDE_X86

// One tile's operands.
struct TileArgs {
  const float* x;   // input at (image, channel 0, row of the first kernel row run, the first pixel's first column run)
  const float* w;   // weights at (the tile's first vector, channel 0, the first tap run)
  int64_t channels, plane;  // input channels, floats per input channel
  int64_t wChannel;         // floats per input channel in the weights (kH * kW * 16)
  int64_t wTap;             // floats per tap in the weights (mo * 16)
  int64_t wRow;             // floats per kernel row in the weights (kW * mo * 16)
  int64_t rowStep, colStep;  // input floats between kernel rows (dilationH * inW) and columns (dilationW)
  int64_t sw;               // input floats between the tile's pixels (strideW)
  int64_t nky, nkx;         // kernel rows and columns run
  float* out;               // buffer at the tile's first pixel: [pixel][mo * 16]
  bool accumulate;          // add to the sums in `out` (a later block of input channels)
};

template <int MO, int NW, int SW>
STRIDE_TARGET_AVX512 void tile512(const TileArgs& t) {
  __m512 acc[MO][NW];
#pragma GCC unroll 4
  for (int i = 0; i < MO; i++)
#pragma GCC unroll 12
    for (int j = 0; j < NW; j++)
      acc[i][j] = t.accumulate ? _mm512_load_ps(t.out + (j * MO + i) * kLanes) : _mm512_setzero_ps();
  const int64_t sw = SW ? SW : t.sw;
  for (int64_t c = 0; c < t.channels; c++) {
    const float* xc = t.x + c * t.plane;
    const float* wc = t.w + c * t.wChannel;
    for (int64_t ky = 0; ky < t.nky; ky++) {
      const float* xr = xc + ky * t.rowStep;
      const float* wr = wc + ky * t.wRow;
      for (int64_t kx = 0; kx < t.nkx; kx++) {
        const float* xp = xr + kx * t.colStep;
        const float* wp = wr + kx * (MO * kLanes);
        __m512 wv[MO];
#pragma GCC unroll 4
        for (int i = 0; i < MO; i++) wv[i] = _mm512_loadu_ps(wp + i * kLanes);
#pragma GCC unroll 12
        for (int j = 0; j < NW; j++) {
          const __m512 xv = _mm512_set1_ps(xp[j * sw]);
#pragma GCC unroll 4
          for (int i = 0; i < MO; i++) acc[i][j] = _mm512_fmadd_ps(wv[i], xv, acc[i][j]);
        }
      }
    }
  }
#pragma GCC unroll 12
  for (int j = 0; j < NW; j++)
#pragma GCC unroll 4
    for (int i = 0; i < MO; i++) _mm512_store_ps(t.out + (j * MO + i) * kLanes, acc[i][j]);
}

// tile512<MO, nw, SW> for nw in [1, NW].
template <int MO, int SW, int NW>
STRIDE_TARGET_AVX512 void tileUpTo(const TileArgs& t, int nw) {
  if constexpr (NW > 1) {
    if (nw < NW) return tileUpTo<MO, SW, NW - 1>(t, nw);
  }
  tile512<MO, NW, SW>(t);
}

template <int SW>
STRIDE_TARGET_AVX512 void tileBySize(const TileArgs& t, int mo, int nw) {
  switch (mo) {
    case 4: return tileUpTo<4, SW, maxPixels(4)>(t, nw);
    case 3: return tileUpTo<3, SW, maxPixels(3)>(t, nw);
    case 2: return tileUpTo<2, SW, maxPixels(2)>(t, nw);
    default: return tileUpTo<1, SW, maxPixels(1)>(t, nw);
  }
}

STRIDE_TARGET_AVX512 void runTile(const TileArgs& t, int mo, int nw) {
  if (t.nky <= 0 || t.nkx <= 0) {
    if (t.accumulate) return;
    std::memset(t.out, 0, static_cast<size_t>(nw) * mo * kLanes * sizeof(float));
    return;
  }
  switch (t.sw) {
    case 1: return tileBySize<1>(t, mo, nw);
    case 2: return tileBySize<2>(t, mo, nw);
    default: return tileBySize<0>(t, mo, nw);
  }
}

// Permutation indices of the in-register 16 x 16 transpose: stage b swaps bit b of the row index
// with bit b of the column index between rows r and r + 2^b (r without bit b).
struct TransposeIndex {
  alignas(64) int32_t lo[4][16];
  alignas(64) int32_t hi[4][16];
  TransposeIndex() {
    for (int b = 0; b < 4; b++) {
      const int d = 1 << b;
      for (int c = 0; c < 16; c++) {
        lo[b][c] = (c & d) ? 16 + c - d : c;
        hi[b][c] = (c & d) ? 16 + c : c + d;
      }
    }
  }
};
const TransposeIndex kTranspose;

STRIDE_TARGET_AVX512 inline void transpose16(__m512* r) {
#pragma GCC unroll 4
  for (int b = 0; b < 4; b++) {
    const int d = 1 << b;
    const __m512i lo = _mm512_load_si512(kTranspose.lo[b]), hi = _mm512_load_si512(kTranspose.hi[b]);
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) {
      if (i & d) continue;
      const __m512 a = r[i], c = r[i + d];
      r[i] = _mm512_permutex2var_ps(a, lo, c);
      r[i + d] = _mm512_permutex2var_ps(a, hi, c);
    }
  }
}

// Everything about one call that the rows share.
struct Plan {
  const ConvGeometry* g;
  const float* x;
  const float* w;  // arranged
  const float* bias;
  const float* residual;
  float lo, hi;
  float* y;
  int64_t taps;          // inChannels * kH * kW
  int64_t vectors;       // output vectors
  int group;             // output vectors per tile (the last group may have fewer)
  int64_t groups;        // groups of `group` vectors
  int64_t oxLo, oxHi;    // interior output columns: every kernel column inside the input
  int64_t channelBlock;  // input channels per pass over a chunk's tiles
  int64_t chunks, chunkPixels;  // output pixels of an image split into `chunks` runs of at most chunkPixels
};

// Buffered pixels [0, pixels) of image n from output pixel p0 (oy * outW + ox: rows follow each
// other in y), vectors [vec0, vec0 + mo), transposed to channel rows with the epilogue applied.
STRIDE_TARGET_AVX512 void writeChunk(const Plan& p, const float* buf, int mo, int64_t pixels, int64_t n,
                                     int64_t vec0, int64_t p0) {
  const ConvGeometry& g = *p.g;
  const int64_t outPlane = g.outH * g.outW;
  const int64_t imageAt = n * g.outChannels * outPlane + p0;
  const __m512 lo = _mm512_set1_ps(p.lo), hi = _mm512_set1_ps(p.hi);
  for (int64_t q0 = 0; q0 < pixels; q0 += 16) {
    const int count = static_cast<int>(std::min<int64_t>(16, pixels - q0));
    const __mmask16 m = static_cast<__mmask16>((1u << count) - 1);
    for (int i = 0; i < mo; i++) {
      __m512 r[16];
#pragma GCC unroll 16
      for (int j = 0; j < 16; j++) r[j] = _mm512_load_ps(buf + ((q0 + j) * mo + i) * kLanes);
      transpose16(r);
      const int64_t o0 = (vec0 + i) * kLanes;
      const int rows = static_cast<int>(std::min<int64_t>(kLanes, g.outChannels - o0));
      for (int c = 0; c < rows; c++) {
        const int64_t o = o0 + c, at = imageAt + o * outPlane + q0;
        __m512 v = r[c];
        if (p.bias) v = _mm512_add_ps(v, _mm512_set1_ps(p.bias[o]));
        if (p.residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, p.residual + at));
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
        _mm512_mask_storeu_ps(p.y + at, m, v);
      }
    }
  }
}

// Output columns [ox0, ox1) of row oy of image n, vectors [vec0, vec0 + mo), input channels
// [c0, c0 + t.channels), into buf (pixel ox0 at `out`).
STRIDE_TARGET_AVX512 void runRow(const Plan& p, TileArgs& t, int64_t n, int64_t vec0, int mo, int64_t c0,
                                 int64_t oy, int64_t ox0, int64_t ox1, float* out) {
  const ConvGeometry& g = *p.g;
  const int64_t dh = g.dilationH, dw = g.dilationW, plane = g.inH * g.inW;
  // Kernel rows inside the input: iy = iy0 + ky * dh in [0, inH).
  const int64_t iy0 = oy * g.strideH - g.padTop;
  const int64_t ky0 = iy0 < 0 ? (-iy0 + dh - 1) / dh : 0;
  const int64_t ky1 = iy0 >= g.inH ? 0 : std::min(g.kH, (g.inH - 1 - iy0) / dh + 1);
  t.nky = std::max<int64_t>(0, ky1 - ky0);
  // Input and weights at the first kernel row run (only read when there is one).
  const float* xRow = t.nky > 0 ? p.x + (n * g.inChannels + c0) * plane + (iy0 + ky0 * dh) * g.inW : p.x;
  const float* wRow = p.w + vec0 * p.taps * kLanes + c0 * t.wChannel + ky0 * t.wRow;
  const int stride = mo * kLanes;
  int64_t ox = ox0;
  while (ox < ox1) {
    t.out = out + (ox - ox0) * stride;
    const int64_t ix0 = ox * g.strideW - g.padLeft;
    if (ox < p.oxLo || ox >= p.oxHi) {
      // A border pixel: only the kernel columns inside the input.
      const int64_t kx0 = ix0 < 0 ? (-ix0 + dw - 1) / dw : 0;
      const int64_t kx1 = ix0 >= g.inW ? 0 : std::min(g.kW, (g.inW - 1 - ix0) / dw + 1);
      t.nkx = std::max<int64_t>(0, kx1 - kx0);
      t.x = t.nkx > 0 ? xRow + ix0 + kx0 * dw : xRow;
      t.w = wRow + kx0 * t.wTap;
      runTile(t, mo, 1);
      ox++;
    } else {
      // The interior run left in this row piece in tiles as even as possible: 62 pixels at up to 6 a
      // tile run as 7 x 6 + 4 x 5, not 10 x 6 + 1 x 2 (a narrow tile does few multiply-adds per load).
      const int64_t run = std::min(ox1, p.oxHi) - ox, tiles = (run + maxPixels(mo) - 1) / maxPixels(mo);
      const int nw = static_cast<int>((run + tiles - 1) / tiles);
      t.nkx = g.kW;
      t.x = xRow + ix0;
      t.w = wRow;
      runTile(t, mo, nw);
      ox += nw;
    }
  }
}

// Chunk `chunk` of image n's output pixels for vectors [vec0, vec0 + mo): input channels block by
// block (each block's weights stay in L2 across the chunk's tiles), the sums in buf, then written.
STRIDE_TARGET_AVX512 void runChunk(const Plan& p, int64_t n, int64_t vec0, int mo, int64_t chunk, float* buf) {
  const ConvGeometry& g = *p.g;
  const int64_t outPlane = g.outH * g.outW;
  const int64_t p0 = chunk * p.chunkPixels, p1 = std::min(outPlane, p0 + p.chunkPixels);
  TileArgs t;
  t.plane = g.inH * g.inW;
  t.wTap = mo * kLanes;
  t.wRow = g.kW * t.wTap;
  t.wChannel = g.kH * t.wRow;
  t.rowStep = g.dilationH * g.inW;
  t.colStep = g.dilationW;
  t.sw = g.strideW;
  for (int64_t c0 = 0; c0 < g.inChannels; c0 += p.channelBlock) {
    t.channels = std::min(p.channelBlock, g.inChannels - c0);
    t.accumulate = c0 > 0;
    for (int64_t oy = p0 / g.outW; oy * g.outW < p1; oy++) {
      const int64_t ox0 = std::max<int64_t>(0, p0 - oy * g.outW), ox1 = std::min(g.outW, p1 - oy * g.outW);
      runRow(p, t, n, vec0, mo, c0, oy, ox0, ox1, buf + (oy * g.outW + ox0 - p0) * mo * kLanes);
    }
  }
  writeChunk(p, buf, mo, p1 - p0, n, vec0, p0);
}

#endif  // STRIDE_X86

}  // namespace

bool directConvApplies(const ConvGeometry& g) {
  return STRIDE_X86 && activeIsa() == Isa::Avx512 && g.groups == 1 && g.kH > 0 && g.kW > 0 && g.strideH > 0 &&
         g.strideW > 0 && g.dilationH > 0 && g.dilationW > 0;
}

bool preferDirectConv(const ConvGeometry& g, bool prepared) {
  if (!directConvApplies(g) || (g.strideH == 1 && g.strideW == 1)) return false;
  // Without prepared weights every call arranges them first; where a call has few output pixels
  // that pass is a large share of it. Measured at 1 thread: 3x3 stride-2 256 -> 512 on 14x14
  // unprepared ran 0.88x as fast as the phase planes + indirect GEMM at batch 1 (the training
  // forward at batch 8: 0.9-1.0x), prepared 1.15x faster.
  if (!prepared && g.batch * g.outH * g.outW < 512) return false;
  // Batches of small planes with large kernels: the phase path runs all images' pixels as one GEMM
  // and reads each weight once for all of them, this kernel once per image. Measured through the
  // addon at batch 8, 3x3 stride-2 256 -> 512 on 14x14 (7x7 outputs) ran 0.93-0.99x as fast as the
  // phase path (CPU time), while the 1x1 stride-2 256 -> 512 next to it ran 1.07-1.15x faster.
  if (g.batch > 1 && g.outH * g.outW < 64 && g.kH * g.kW > 1) return false;
  return true;
}

bool directConvForward(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                       const float* bias, const float* residual, float lo, float hi, float* y) {
#if STRIDE_X86
  if (!directConvApplies(g)) return false;
  const int64_t outPlane = g.outH * g.outW;
  if (outPlane == 0 || g.batch == 0 || g.outChannels == 0) return true;
  const int64_t taps = g.inChannels * g.kH * g.kW;
  const int64_t vectors = (g.outChannels + kLanes - 1) / kLanes;
  const double flops = 2.0 * static_cast<double>(g.batch * g.outChannels * outPlane * taps);
  const int threads = threadsFor(flops);
  ThreadPool& pool = ThreadPool::instance();
  const int group = tileGroup(vectors);
  // The arranged weights: kept in `packed` when given, else in scratch for this call.
  const size_t arranged = static_cast<size_t>(vectors * taps * kLanes);
  float* wa;
  bool arrange = true;
  if (packed) {
    arrange = packed->direct.size() != arranged;
    if (arrange) packed->direct.resize(arranged);
    wa = packed->direct.data();
  } else {
    wa = scratch(Slot::PackA, arranged);
  }
  if (arrange) {
    const int arrangeThreads = threadsFor(static_cast<double>(arranged) * 8);
    pool.parallelFor((vectors + group - 1) / group, arrangeThreads,
                     [&](int64_t q) { arrangeWeights(w, g.outChannels, taps, vectors, group, q, wa); });
  }

  Plan p;
  p.g = &g;
  p.x = x;
  p.w = wa;
  p.bias = bias;
  p.residual = residual;
  p.lo = lo;
  p.hi = hi;
  p.y = y;
  p.taps = taps;
  p.vectors = vectors;
  p.group = group;
  p.groups = (vectors + group - 1) / group;
  // Interior columns: ox * sw - pl >= 0 and ox * sw - pl + (kW - 1) * dw <= inW - 1.
  p.oxLo = std::min(g.outW, (g.padLeft + g.strideW - 1) / g.strideW);
  const int64_t lastStart = g.inW - 1 - (g.kW - 1) * g.dilationW + g.padLeft;
  p.oxHi = lastStart < 0 ? 0 : std::min(g.outW, lastStart / g.strideW + 1);
  if (p.oxHi < p.oxLo) p.oxHi = p.oxLo;
  // Input channels in blocks whose weights (for a group of 4 vectors) fit in about an eighth of L2,
  // so that a chunk's tiles read them from L2, not from L3 (512 -> 512 3x3 holds 1.2 MB per group).
  // Blocks as even as possible: 64 channels of a 3x3 kernel run as 32 + 32, not 55 + 9.
  const int64_t blockMax = std::max<int64_t>(1, kBlockBytes / (g.kH * g.kW * kMaxGroup * kLanes * 4));
  const int64_t blocks = (g.inChannels + blockMax - 1) / blockMax;
  p.channelBlock = std::max<int64_t>(1, (g.inChannels + blocks - 1) / blocks);
  // Each image's output pixels in even chunks of at most kChunkPixels (whole 7x7 and 8x8 planes;
  // 14x14 as 2 x 98).
  p.chunks = (outPlane + kChunkPixels - 1) / kChunkPixels;
  p.chunkPixels = (outPlane + p.chunks - 1) / p.chunks;

  // Units (group, image, chunk), group-major so that a thread's run of units reads one group's
  // weights (at most about 600 KB: 3 vectors of 512 input channels x 3 x 3) from its L2 for every
  // image; a few tasks per thread so that a helper that wakes late still gets its share.
  const int64_t units = g.batch * p.groups * p.chunks;
  const int64_t tasks = threads == 1 ? 1 : std::min<int64_t>(units, threads * 8);
  pool.parallelFor(tasks, threads, [&](int64_t task) {
    // The chunk's sums plus up to 15 pixels more: writeChunk transposes whole blocks of 16.
    float* buf = scratch(Slot::Extra, static_cast<size_t>((p.chunkPixels + 16) * kMaxGroup * kLanes));
    const int64_t u0 = task * units / tasks, u1 = (task + 1) * units / tasks;
    for (int64_t u = u0; u < u1; u++) {
      const int64_t chunk = u % p.chunks, rest = u / p.chunks;
      const int64_t n = rest % g.batch, grp = rest / g.batch;
      const int64_t vec0 = grp * group;
      const int mo = static_cast<int>(std::min<int64_t>(group, vectors - vec0));
      runChunk(p, n, vec0, mo, chunk, buf);
    }
  });
  return true;
#else
  (void)g, (void)x, (void)w, (void)packed, (void)bias, (void)residual, (void)lo, (void)hi, (void)y;
  return false;
#endif
}

}  // namespace stride
