// Winograd F(4x4, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"):
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
// for a 3x3 filter g, a 6x6 input block d and a 4x4 output block Y. Summed over input channels,
// the elementwise product becomes, for each of the 36 transform points p, a GEMM
//   M_p[tile, o] = V_p[tile, c] * U_p[c, o]
// with V = B^T d B (input transform), U = G g G^T (weight transform).
//
// F(4x4) is the usual float32 choice: F(2x2) saves only 2.25x of the multiplications, and F(6x6)
// (5.06x on large images, no more than F(4x4) at 7x7 and 14x14, where its 8x8 blocks cover the
// same padded area) has larger transform coefficients and so larger float32 rounding error. Only
// F(4x4) was built and measured here.
//
// Layouts (the transforms run 16 channels at a time, so channels are innermost):
//   Xt[n][py][px][cp]   the zero-padded input, channel-last, covering every tile (shared)
//   V[p][tile][cp]      transformed inputs of one chunk of tiles, then packed as micro-kernel
//                       row panels (A operands)
//   U[q][c][p][nr]      transformed weights of one block of nr output and 128 input channels
//                       (per task), read as the GEMM's B panels
//   M[p][tile][og]      GEMM results of the chunk for one group of output channels (per task)
// Tasks are (tile chunk, output-channel group) pairs; each transforms the weights block by block
// and runs the 36 GEMMs on each block while it sits in L2, then writes its outputs straight to
// NCHW, a 4x4 tile row as one vector store per channel. With one group per chunk (many tiles) a
// task also transforms its own chunk's tiles; when few chunks make the plan split the output
// channels (batch 1 from 28x28 down), the tiles are transformed and packed once, by all threads,
// in a first phase, and the groups of a chunk share them. Transforming the weights inside the
// tasks instead of once up front was measured faster at every ResNet-18 shape: all of U is 4x the
// weights (36 MiB for 512x512 channels), and writing it out and reading it back cost more than the
// repeated transforms.
#include "winograd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "gemm.h"
#include "multiversion.h"
#include "thread_pool.h"
#include "workspace.h"

namespace stride {

namespace {

constexpr int kPoints = 36;  // 6x6 transform points
constexpr int kLanes = 16;   // channels per transform step
// Input channels per weight block: a block (36 points x 128 channels x nr output channels, 576
// KiB for nr = 32) is transformed and then used by the GEMMs while it sits in L2.
constexpr int64_t kWeightDepth = 128;

std::atomic<int> g_algorithm{static_cast<int>(ConvAlgorithm::Auto)};

int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Distance between the 36 point slices of a buffer whose slices hold `floats` floats. Slices a
// power of two apart would all fall in the same L1 sets (the transforms touch all 36 at once), so
// one cache line of slack is added; it keeps 64-byte alignment.
int64_t pointStride(int64_t floats) { return floats + 16; }

// ----- Transforms (each lane is one channel) -----
// The lane loops carry `omp simd` (enabled by -fopenmp-simd): their stores go through runtime
// strides the compiler cannot prove disjoint, and without the pragma it falls back to scalar code.

// Input transform of one tile: d[r][s] = src[r*rowStride + s*colStride + c] for the 6x6 block;
// writes V[p][c] = (B^T d B)[p] at dst[p*pointStride + c] for c < cp (a multiple of kLanes).
STRIDE_INLINE void inputTileImpl(const float* src, int64_t rowStride, int64_t colStride, int64_t cp, float* dst,
                                 int64_t pointStride) {
  for (int64_t c0 = 0; c0 < cp; c0 += kLanes) {
    float t[6][6][kLanes];  // t = B^T d: t[i][s]
    for (int s = 0; s < 6; s++) {
      const float* col = src + s * colStride + c0;
      #pragma omp simd
      for (int l = 0; l < kLanes; l++) {
        const float d0 = col[l], d1 = col[rowStride + l], d2 = col[2 * rowStride + l];
        const float d3 = col[3 * rowStride + l], d4 = col[4 * rowStride + l], d5 = col[5 * rowStride + l];
        t[0][s][l] = 4.0f * d0 - 5.0f * d2 + d4;
        t[1][s][l] = -4.0f * (d1 + d2) + d3 + d4;
        t[2][s][l] = 4.0f * (d1 - d2) - d3 + d4;
        t[3][s][l] = 2.0f * (d3 - d1) - d2 + d4;
        t[4][s][l] = 2.0f * (d1 - d3) - d2 + d4;
        t[5][s][l] = 4.0f * d1 - 5.0f * d3 + d5;
      }
    }
    for (int i = 0; i < 6; i++) {
      float* out = dst + i * 6 * pointStride + c0;
      #pragma omp simd
      for (int l = 0; l < kLanes; l++) {
        const float d0 = t[i][0][l], d1 = t[i][1][l], d2 = t[i][2][l];
        const float d3 = t[i][3][l], d4 = t[i][4][l], d5 = t[i][5][l];
        out[l] = 4.0f * d0 - 5.0f * d2 + d4;
        out[pointStride + l] = -4.0f * (d1 + d2) + d3 + d4;
        out[2 * pointStride + l] = 4.0f * (d1 - d2) - d3 + d4;
        out[3 * pointStride + l] = 2.0f * (d3 - d1) - d2 + d4;
        out[4 * pointStride + l] = 2.0f * (d1 - d3) - d2 + d4;
        out[5 * pointStride + l] = 4.0f * d1 - 5.0f * d3 + d5;
      }
    }
  }
}
STRIDE_MULTIVERSION(inputTile, inputTileImpl)

// Weight transform of kLanes output channels for `cin` input channels: g[(c*9 + k)*kLanes + l] holds
// tap k of channel c for lane l; writes U[p] = (G g G^T)[p] to out[p*ps + c*cs + l].
STRIDE_INLINE void weightBlockImpl(const float* g, int64_t cin, float* out, int64_t ps, int64_t cs) {
  for (int64_t c = 0; c < cin; c++) {
    const float* gc = g + c * 9 * kLanes;
    float t[6][3][kLanes];  // t = G g: t[i][kx]
    for (int kx = 0; kx < 3; kx++) {
      #pragma omp simd
      for (int l = 0; l < kLanes; l++) {
        const float g0 = gc[kx * kLanes + l], g1 = gc[(3 + kx) * kLanes + l], g2 = gc[(6 + kx) * kLanes + l];
        t[0][kx][l] = 0.25f * g0;
        t[1][kx][l] = (-1.0f / 6.0f) * (g0 + g1 + g2);
        t[2][kx][l] = (-1.0f / 6.0f) * (g0 - g1 + g2);
        t[3][kx][l] = (1.0f / 24.0f) * g0 + (1.0f / 12.0f) * g1 + (1.0f / 6.0f) * g2;
        t[4][kx][l] = (1.0f / 24.0f) * g0 - (1.0f / 12.0f) * g1 + (1.0f / 6.0f) * g2;
        t[5][kx][l] = g2;
      }
    }
    for (int i = 0; i < 6; i++) {
      float* o = out + i * 6 * ps + c * cs;
      #pragma omp simd
      for (int l = 0; l < kLanes; l++) {
        const float g0 = t[i][0][l], g1 = t[i][1][l], g2 = t[i][2][l];
        o[l] = 0.25f * g0;
        o[ps + l] = (-1.0f / 6.0f) * (g0 + g1 + g2);
        o[2 * ps + l] = (-1.0f / 6.0f) * (g0 - g1 + g2);
        o[3 * ps + l] = (1.0f / 24.0f) * g0 + (1.0f / 12.0f) * g1 + (1.0f / 6.0f) * g2;
        o[4 * ps + l] = (1.0f / 24.0f) * g0 - (1.0f / 12.0f) * g1 + (1.0f / 6.0f) * g2;
        o[5 * ps + l] = g2;
      }
    }
  }
}
STRIDE_MULTIVERSION(weightBlock, weightBlockImpl)

// Output transform of one tile for kLanes output channels: m[p*pointStride + l] holds point p;
// writes Y = A^T m A + bias as out[(i*4 + j)*kLanes + l].
STRIDE_INLINE void outputTileImpl(const float* m, int64_t pointStride, const float* bias, float* out) {
  float t[4][6][kLanes];  // t = A^T m: t[a][j]
  for (int j = 0; j < 6; j++) {
    const float* col = m + j * pointStride;
    const int64_t rs = 6 * pointStride;
    #pragma omp simd
    for (int l = 0; l < kLanes; l++) {
      const float m0 = col[l], m1 = col[rs + l], m2 = col[2 * rs + l];
      const float m3 = col[3 * rs + l], m4 = col[4 * rs + l], m5 = col[5 * rs + l];
      const float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
      t[0][j][l] = m0 + s12 + s34;
      t[1][j][l] = d12 + 2.0f * d34;
      t[2][j][l] = s12 + 4.0f * s34;
      t[3][j][l] = d12 + 8.0f * d34 + m5;
    }
  }
  for (int a = 0; a < 4; a++) {
    float* o = out + a * 4 * kLanes;
    #pragma omp simd
    for (int l = 0; l < kLanes; l++) {
      const float m0 = t[a][0][l], m1 = t[a][1][l], m2 = t[a][2][l];
      const float m3 = t[a][3][l], m4 = t[a][4][l], m5 = t[a][5][l];
      const float s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
      const float b = bias[l];
      o[l] = m0 + s12 + s34 + b;
      o[kLanes + l] = d12 + 2.0f * d34 + b;
      o[2 * kLanes + l] = s12 + 4.0f * s34 + b;
      o[3 * kLanes + l] = d12 + 8.0f * d34 + m5 + b;
    }
  }
}
STRIDE_MULTIVERSION(outputTile, outputTileImpl)

// Writes a full 4x4 tile of `lanes` output channels to NCHW: out[(a*4 + c)*kLanes + l] (from
// outputTile) goes to y[l*plane + a*width + c], plus res at the same offsets when not null, then
// clamped at `floor` (0 for ReLU, -inf for none). Four lanes at a time, each row a is a 4x4
// transpose in registers, so every store is one 4-float vector and not four scalars.
typedef float F4 __attribute__((vector_size(16)));
STRIDE_INLINE void storeTileImpl(const float* out, int lanes, float* y, const float* res, int64_t plane,
                                 int64_t width, float floor) {
  int l0 = 0;
  for (; l0 + 4 <= lanes; l0 += 4)
    for (int a = 0; a < 4; a++) {
      F4 x0, x1, x2, x3;
      __builtin_memcpy(&x0, out + (a * 4 + 0) * kLanes + l0, sizeof(F4));
      __builtin_memcpy(&x1, out + (a * 4 + 1) * kLanes + l0, sizeof(F4));
      __builtin_memcpy(&x2, out + (a * 4 + 2) * kLanes + l0, sizeof(F4));
      __builtin_memcpy(&x3, out + (a * 4 + 3) * kLanes + l0, sizeof(F4));
      const F4 t0 = __builtin_shufflevector(x0, x1, 0, 4, 1, 5), t1 = __builtin_shufflevector(x0, x1, 2, 6, 3, 7);
      const F4 t2 = __builtin_shufflevector(x2, x3, 0, 4, 1, 5), t3 = __builtin_shufflevector(x2, x3, 2, 6, 3, 7);
      F4 rowOf[4] = {__builtin_shufflevector(t0, t2, 0, 1, 4, 5), __builtin_shufflevector(t0, t2, 2, 3, 6, 7),
                     __builtin_shufflevector(t1, t3, 0, 1, 4, 5), __builtin_shufflevector(t1, t3, 2, 3, 6, 7)};
      for (int k = 0; k < 4; k++) {
        const int64_t at = (l0 + k) * plane + a * width;
        F4 v = rowOf[k];
        if (res) {
          F4 r;
          __builtin_memcpy(&r, res + at, sizeof(F4));
          v += r;
        }
        for (int i = 0; i < 4; i++) v[i] = v[i] < floor ? floor : v[i];
        __builtin_memcpy(y + at, &v, sizeof(F4));
      }
    }
  for (int l = l0; l < lanes; l++)
    for (int a = 0; a < 4; a++)
      for (int c = 0; c < 4; c++) {
        const int64_t at = l * plane + a * width + c;
        const float v = out[(a * 4 + c) * kLanes + l] + (res ? res[at] : 0.0f);
        y[at] = v < floor ? floor : v;
      }
}
STRIDE_MULTIVERSION(storeTile, storeTileImpl)

// ----- The plan of one call -----

struct Plan {
  int64_t tilesH, tilesW, tiles;  // 4x4 output tiles per image row and column, and in the batch
  int64_t hp, wp, cp;             // Xt geometry
  int mr, nr;                     // micro-kernel geometry
  int64_t oPanels;                // nr-wide panels covering the output channels (rounded up to kLanes)
  int64_t chunk, chunks;          // tiles per task and the number of tile chunks
  int64_t oGroups, panelsPerGroup;
  int threads;
};

Plan makePlan(const ConvGeometry& g, const MicroKernel& mk) {
  Plan p{};
  p.tilesH = (g.outH + 3) / 4;
  p.tilesW = (g.outW + 3) / 4;
  p.tiles = g.batch * p.tilesH * p.tilesW;
  p.hp = 4 * p.tilesH + 2;
  p.wp = 4 * p.tilesW + 2;
  p.cp = roundUp(g.inChannels, kLanes);
  p.mr = mk.mr;
  p.nr = mk.nr;
  p.oPanels = roundUp(g.outChannels, std::max(kLanes, mk.nr)) / mk.nr;
  const double flops = 2.0 * kPoints * static_cast<double>(p.tiles) * g.inChannels * g.outChannels;
  p.threads = threadsFor(flops);
  // A chunk's V and M (36 * chunk * (cp + og) floats) should stay near half an L2, but every
  // chunk transforms its weights again, so it keeps at least four micro-kernel rows (measured:
  // 512 channels at 7x7, batch 8, ran 1.3x faster with 48 tiles per chunk than with 24).
  const int64_t og = p.oPanels * p.nr;
  const int64_t fit = (256 * 1024) / (kPoints * (p.cp + og));
  p.chunk = std::min(p.tiles, std::max<int64_t>(4 * p.mr, fit / p.mr * p.mr));
  p.chunks = (p.tiles + p.chunk - 1) / p.chunk;
  // Chunks of equal size, as many as a multiple of the threads where the tiles fill several: the
  // tasks are the chunks, so 196 tiles (64 channels at 56x56, batch 1) in chunks of 48 left one
  // thread three chunks and the other two and a 4-tile remainder, and 49 tiles (28x28) made a
  // 48-tile and a 1-tile chunk that each transformed all the weights.
  if (p.threads > 1 && p.chunks >= p.threads) p.chunks = roundUp(p.chunks, p.threads);
  p.chunk = (p.tiles + p.chunks - 1) / p.chunks;
  p.chunks = (p.tiles + p.chunk - 1) / p.chunk;
  // Too few chunks to share among the threads: split the output channels too.
  p.oGroups = 1;
  if (p.threads > 1 && p.chunks < 2 * p.threads)
    p.oGroups = std::min<int64_t>(p.oPanels, (2 * p.threads + p.chunks - 1) / p.chunks);
  // Groups hold whole kLanes-wide weight blocks (two panels for the portable kernel's 8 columns).
  const int64_t blockPanels = std::max(1, kLanes / p.nr);
  p.panelsPerGroup = roundUp((p.oPanels + p.oGroups - 1) / p.oGroups, blockPanels);
  p.oGroups = (p.oPanels + p.panelsPerGroup - 1) / p.panelsPerGroup;
  return p;
}

// The input, zero-padded and channel-last: Xt[n][py][px][c] = x[n][c][py - padTop][px - padLeft].
void transposeInput(const ConvGeometry& g, const Plan& p, const float* x, float* xt) {
  const int64_t plane = g.inH * g.inW, rowLen = p.wp * p.cp;
  const int64_t lo = std::clamp<int64_t>(g.padLeft, 0, p.wp);
  const int64_t hi = std::clamp<int64_t>(g.padLeft + g.inW, lo, p.wp);
  ThreadPool::instance().parallelFor(g.batch * p.hp, p.threads, [&](int64_t t) {
    const int64_t n = t / p.hp, py = t % p.hp, iy = py - g.padTop;
    float* row = xt + t * rowLen;
    if (iy < 0 || iy >= g.inH || hi == lo) {
      std::memset(row, 0, rowLen * sizeof(float));
      return;
    }
    std::memset(row, 0, lo * p.cp * sizeof(float));
    packTransposed(row + lo * p.cp, p.cp, x + n * g.inChannels * plane + iy * g.inW + (lo - g.padLeft), plane,
                   static_cast<int>(g.inChannels), hi - lo);
    std::memset(row + hi * p.cp, 0, (p.wp - hi) * p.cp * sizeof(float));
  });
}

// Transformed weights of output channels [o0, o0 + kLanes) (zero past O) and input channels
// [c0, c0 + cb), written into a U block laid out [panel][c][p][nr] whose panels start at output
// channel blockO0. Keeping a channel's 36 points together makes the stores sequential; the GEMM
// reads point p's panel as rows kPoints * nr apart.
void weightLanes(const ConvGeometry& g, int nr, const float* w, int64_t o0, int64_t c0, int64_t cb, int64_t blockO0,
                 float* dst) {
  const int64_t taps = 9 * g.inChannels, cs = kPoints * nr;
  const int rows = static_cast<int>(std::clamp<int64_t>(g.outChannels - o0, 0, kLanes));
  // A few input channels at a time, so the transposed taps stay in L1 between the two steps.
  constexpr int64_t kSub = 8;
  float* gt = scratch(Slot::WinogradTaps, static_cast<size_t>(9 * kSub * kLanes + kPoints * kSub * kLanes));
  float* tmp = gt + 9 * kSub * kLanes;
  const int64_t rel = o0 - blockO0;
  for (int64_t s0 = 0; s0 < cb; s0 += kSub) {
    const int64_t sc = std::min(kSub, cb - s0);
    if (rows > 0) {
      packTransposed(gt, kLanes, w + o0 * taps + (c0 + s0) * 9, taps, rows, 9 * sc);
    } else {
      std::memset(gt, 0, 9 * sc * kLanes * sizeof(float));
    }
    if (nr >= kLanes) {
      weightBlock(static_cast<const float*>(gt), sc, dst + (rel / nr) * cb * cs + s0 * cs + rel % nr,
                  static_cast<int64_t>(nr), cs);
      continue;
    }
    // Panels narrower than kLanes (the portable kernel): transform into scratch, then split.
    weightBlock(static_cast<const float*>(gt), sc, tmp, static_cast<int64_t>(kLanes), kPoints * kLanes);
    for (int64_t c = 0; c < sc; c++)
      for (int64_t pt = 0; pt < kPoints; pt++)
        for (int l = 0; l < kLanes; l++) {
          const int64_t o = rel + l;
          dst[(o / nr) * cb * cs + (s0 + c) * cs + pt * nr + o % nr] = tmp[(c * kPoints + pt) * kLanes + l];
        }
  }
}

// Input transform of tiles [t0 + r0, t0 + r0 + rows) of a chunk whose first tile is t0, each point's
// V packed as the micro-kernel row panel that starts at row r0: writes ap[pt * aPoint + r0 * cin ..].
// v is scratch for the transformed tiles (36 points of vPoint >= rows * cp floats).
void packTiles(const ConvGeometry& g, const Plan& p, const float* xt, int64_t t0, int64_t r0, int rows, float* v,
               int64_t vPoint, float* ap, int64_t aPoint) {
  const int64_t perImage = p.tilesH * p.tilesW, cp = p.cp, cin = g.inChannels;
  for (int64_t tl = 0; tl < rows; tl++) {
    const int64_t t = t0 + r0 + tl, n = t / perImage, r = t % perImage;
    const int64_t ty = r / p.tilesW, tx = r % p.tilesW;
    const float* src = xt + ((n * p.hp + 4 * ty) * p.wp + 4 * tx) * cp;
    inputTile(src, p.wp * cp, cp, cp, v + tl * cp, vPoint);
  }
  for (int64_t pt = 0; pt < kPoints; pt++)
    packTransposed(ap + pt * aPoint + r0 * cin, rows, v + pt * vPoint, cp, rows, cin);
}

// Floats of one chunk's packed V (all 36 points).
int64_t chunkFloats(const ConvGeometry& g, const Plan& p) { return kPoints * pointStride(p.chunk * g.inChannels); }

// The packed V of every chunk, transformed once by all threads (row panel by row panel), for plans
// that split output channels across tasks: each (chunk, group) task then reads its chunk's panels
// instead of transforming the same tiles again.
void packAllTiles(const ConvGeometry& g, const Plan& p, const float* xt, float* apAll) {
  const RowPanels full(p.chunk, p.mr);
  const int64_t aPoint = pointStride(p.chunk * g.inChannels);
  ThreadPool::instance().parallelFor(p.chunks * full.count, p.threads, [&](int64_t task) {
    const int64_t c = task / full.count, i = task % full.count;
    const int64_t t0 = c * p.chunk, tb = std::min(p.chunk, p.tiles - t0);
    const RowPanels panels(tb, p.mr);
    if (i >= panels.count) return;  // the last chunk may be shorter
    const int64_t vPoint = pointStride(p.mr * p.cp);
    float* v = scratch(Slot::Cols, static_cast<size_t>(kPoints * vPoint));
    packTiles(g, p, xt, t0, panels.start(i), panels.rows(i), v, vPoint, apAll + c * chunkFloats(g, p), aPoint);
  });
}

// One (tile chunk, output-channel group) task. shared: the chunk's packed V from packAllTiles, or
// null to transform the chunk's tiles here.
void runTask(const ConvGeometry& g, const Plan& p, const MicroKernel& mk, const float* xt, const float* shared,
             const float* w, const ConvEpilogue& e, float* y, int64_t chunkIndex, int64_t group) {
  const float* bias = e.bias;
  const int64_t t0 = chunkIndex * p.chunk, tb = std::min(p.chunk, p.tiles - t0);
  const int64_t q0 = group * p.panelsPerGroup, q1 = std::min(p.oPanels, q0 + p.panelsPerGroup);
  const int64_t og = (q1 - q0) * p.nr;
  const int64_t cin = g.inChannels;
  const int64_t perImage = p.tilesH * p.tilesW;

  const int64_t aPoint = pointStride(p.chunk * cin), mPoint = pointStride(p.chunk * og);
  float* m = scratch(Slot::PackB, static_cast<size_t>(kPoints * mPoint));
  const RowPanels panels(tb, p.mr);
  const float* ap = shared;
  if (!ap) {
    // Input transform of the chunk's tiles, then every point's V packed as micro-kernel row panels.
    const int64_t vPoint = pointStride(p.chunk * p.cp);
    float* v = scratch(Slot::Cols, static_cast<size_t>(kPoints * vPoint));
    float* own = scratch(Slot::PackA, static_cast<size_t>(kPoints * aPoint));
    for (int64_t i = 0; i < panels.count; i++)
      packTiles(g, p, xt, t0, panels.start(i), panels.rows(i), v + panels.start(i) * p.cp, vPoint, own, aPoint);
    ap = own;
  }

  // The 36 GEMMs M_p = V_p * U_p, output block by output block (a block = the panels one
  // kLanes-wide weight transform fills), K block by K block.
  const int64_t blockPanels = std::max(1, kLanes / p.nr);
  const int64_t kcb = std::min<int64_t>(cin, kWeightDepth);
  for (int64_t qb = q0; qb < q1; qb += blockPanels) {
    const int64_t bp = std::min(blockPanels, q1 - qb);
    for (int64_t c0 = 0; c0 < cin; c0 += kcb) {
      const int64_t cb = std::min(kcb, cin - c0);
      float* ub = scratch(Slot::WinogradBlock, static_cast<size_t>(bp * cb * kPoints * p.nr));
      for (int64_t o = qb * p.nr; o < (qb + bp) * p.nr; o += kLanes) weightLanes(g, p.nr, w, o, c0, cb, qb * p.nr, ub);
      for (int64_t pt = 0; pt < kPoints; pt++) {
        float* mp = m + pt * mPoint;
        for (int64_t q = qb; q < qb + bp; q++) {
          const float* bpanel = ub + ((q - qb) * cb * kPoints + pt) * p.nr;
          for (int64_t i = 0; i < panels.count; i++) {
            const int64_t r0 = panels.start(i);
            const int rows = panels.rows(i);
            mk.run(rows, p.nr, cb, ap + pt * aPoint + r0 * cin + c0 * rows, bpanel, kPoints * p.nr,
                   mp + r0 * og + (q - q0) * p.nr, og, c0 > 0);
          }
        }
      }
    }
  }

  // Output transform, written to NCHW.
  alignas(64) float out[16 * kLanes];
  alignas(64) float b[kLanes];
  const int64_t outPlane = g.outH * g.outW;
  const int64_t oBegin = q0 * p.nr, oEnd = std::min(g.outChannels, q1 * p.nr);
  for (int64_t o0 = oBegin; o0 < oEnd; o0 += kLanes) {
    const int lanes = static_cast<int>(std::min<int64_t>(kLanes, oEnd - o0));
    for (int l = 0; l < kLanes; l++) b[l] = bias && l < lanes ? bias[o0 + l] : 0.0f;
    for (int64_t tl = 0; tl < tb; tl++) {
      const int64_t t = t0 + tl, n = t / perImage, r = t % perImage;
      const int64_t ty = r / p.tilesW, tx = r % p.tilesW;
      outputTile(static_cast<const float*>(m + tl * og + (o0 - oBegin)), mPoint, static_cast<const float*>(b), out);
      const int rows = static_cast<int>(std::min<int64_t>(4, g.outH - 4 * ty));
      const int cols = static_cast<int>(std::min<int64_t>(4, g.outW - 4 * tx));
      const int64_t at = (n * g.outChannels + o0) * outPlane + 4 * ty * g.outW + 4 * tx;
      float* yt = y + at;
      const float* rt = e.residual ? e.residual + at : nullptr;
      const float floor = e.relu ? 0.0f : -INFINITY;
      if (rows == 4 && cols == 4) {
        storeTile(static_cast<const float*>(out), lanes, yt, rt, outPlane, g.outW, floor);
        continue;
      }
      // A tile cut by the image's edge: element by element, with the residual sum and ReLU.
      for (int l = 0; l < lanes; l++) {
        float* yo = yt + l * outPlane;
        const float* ro = rt ? rt + l * outPlane : nullptr;
        for (int a = 0; a < rows; a++)
          for (int c = 0; c < cols; c++) {
            const float v = out[(a * 4 + c) * kLanes + l] + (ro ? ro[a * g.outW + c] : 0.0f);
            yo[a * g.outW + c] = std::max(v, floor);
          }
      }
    }
  }
}

}  // namespace

void setConvAlgorithm(ConvAlgorithm a) { g_algorithm.store(static_cast<int>(a)); }

ConvAlgorithm convAlgorithm() { return static_cast<ConvAlgorithm>(g_algorithm.load()); }

bool winogradApplies(const ConvGeometry& g) {
  return g.kH == 3 && g.kW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 &&
         g.groups == 1 && g.outH > 0 && g.outW > 0 && g.batch > 0 && g.inChannels > 0 && g.outChannels > 0;
}

bool useWinograd(const ConvGeometry& g) {
  const ConvAlgorithm a = convAlgorithm();
  if (a == ConvAlgorithm::Gemm || !winogradApplies(g)) return false;
  if (a == ConvAlgorithm::Winograd) return true;
  // Measured on ResNet-like shapes (2 threads, AVX-512): with 16 channels on either side the
  // transforms cost more than the saved multiplications (16->16 at 56x56 ran 2x slower), from
  // 32x32 channels Winograd breaks even or wins, and 16->64 won 1.5x. Outputs much smaller than
  // the 4x4 tiles (2x2: a tile does 36 multiplications for 4 outputs' 36) save nothing.
  const int64_t tiles = ((g.outH + 3) / 4) * ((g.outW + 3) / 4);
#if defined(__wasm__)
  // The WebAssembly build (one thread, no FMA): ResNet-18's 512->512 convolution at 7x7 (2x2
  // tiles) ran 3.2x slower by Winograd than by GEMM in Node (prepared weights; 28x28 Winograd
  // 1.75x faster): transforming every weight per call for 4 tiles does not pay there. Since the
  // SIMD128 GEMM tile went from 6 rows to 4, 256->256 at 14x14 (16 tiles) ran 1.37x as fast by
  // GEMM as by Winograd (two builds side by side in Node, 1 thread, both orders).
  if (tiles < 17) return false;
#endif
  return g.inChannels >= 16 && g.outChannels >= 16 && g.inChannels * g.outChannels >= 1024 &&
         g.outH * g.outW >= 8 * tiles;
}

void winogradForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  ConvEpilogue e;
  e.bias = bias;
  winogradForward(g, x, w, e, y);
}

void winogradForward(const ConvGeometry& g, const float* x, const float* w, const ConvEpilogue& e, float* y) {
  const MicroKernel mk = activeMicroKernel();
  const Plan p = makePlan(g, mk);
  float* xt = scratch(Slot::WinogradInput, static_cast<size_t>(g.batch * p.hp * p.wp * p.cp));
  transposeInput(g, p, x, xt);
  // Output channels split across tasks: the tiles are transformed once, by all threads, first.
  float* apAll = nullptr;
  if (p.oGroups > 1) {
    apAll = scratch(Slot::WinogradPacked, static_cast<size_t>(p.chunks * chunkFloats(g, p)));
    packAllTiles(g, p, xt, apAll);
  }
  ThreadPool::instance().parallelFor(p.chunks * p.oGroups, p.threads, [&](int64_t task) {
    const int64_t c = task / p.oGroups;
    runTask(g, p, mk, xt, apAll ? apAll + c * chunkFloats(g, p) : nullptr, w, e, y, c, task % p.oGroups);
  });
}

}  // namespace stride
