// Max and average pooling over NCHW planes, forward and backward; planes run in parallel.
#include "pool.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <vector>

#include "max_pool_backward.h"
#include "multiversion.h"
#include "thread_pool.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

// Valid window taps along one axis: k in [lo, hi) keeps o*stride - pad + k*dil inside [0, size).
inline void tapRange(int64_t o, int64_t stride, int64_t pad, int64_t dil, int64_t k, int64_t size, int64_t* lo,
                     int64_t* hi) {
  const int64_t start = o * stride - pad;
  int64_t a = start >= 0 ? 0 : (-start + dil - 1) / dil;
  int64_t b = size - start <= 0 ? 0 : (size - start + dil - 1) / dil;
  *lo = std::min(a, k);
  *hi = std::max(*lo, std::min(b, k));
}

// Taps per output row and column, computed once per call (integer divisions are slow), and the
// factors of each average window's divisor: PyTorch's count_include_pad rule separates into a
// row count times a column count.
struct Taps {
  std::vector<int64_t> ylo, yhi, xlo, xhi;
  std::vector<double> countY, countX;

  explicit Taps(const PoolGeometry& p)
      : ylo(p.outH), yhi(p.outH), xlo(p.outW), xhi(p.outW), countY(p.outH), countX(p.outW) {
    for (int64_t oy = 0; oy < p.outH; oy++) {
      tapRange(oy, p.strideH, p.padTop, p.dilationH, p.kH, p.inH, &ylo[oy], &yhi[oy]);
      countY[oy] = static_cast<double>(count(oy, p.strideH, p.padTop, p.padBottom, p.dilationH, p.kH, p.inH,
                                             yhi[oy] - ylo[oy], p.countIncludePad));
    }
    for (int64_t ox = 0; ox < p.outW; ox++) {
      tapRange(ox, p.strideW, p.padLeft, p.dilationW, p.kW, p.inW, &xlo[ox], &xhi[ox]);
      countX[ox] = static_cast<double>(count(ox, p.strideW, p.padLeft, p.padRight, p.dilationW, p.kW, p.inW,
                                             xhi[ox] - xlo[ox], p.countIncludePad));
    }
  }

  // Taps of one axis that the divisor counts: with count_include_pad, those inside the padded
  // input (a ceil-mode window may hang past the padding); otherwise those inside the input.
  static int64_t count(int64_t o, int64_t stride, int64_t padBegin, int64_t padEnd, int64_t dil, int64_t k,
                       int64_t size, int64_t valid, bool includePad) {
    if (!includePad) return valid;
    const int64_t start = o * stride - padBegin, end = start + (k - 1) * dil + 1;
    const int64_t span = std::min(end, size + padEnd) - std::max(start, -padBegin);
    return (span + dil - 1) / dil;
  }
};

// Each window tap costs a compare and a select (max) or a convert and an add (average): two
// operations, as a multiply-add counts two flops.
int poolThreads(const PoolGeometry& p) {
  return threadsFor(2.0 * static_cast<double>(p.batch * p.channels * p.outH * p.outW) * p.kH * p.kW);
}

}  // namespace

// Max over the window of output (oy, ox): the first maximum wins; a NaN wins and ends its row
// (the reference backend's rule).
inline void maxWindow(const PoolGeometry& p, const float* xp, int64_t oy, int64_t ox, int64_t ylo, int64_t yhi,
                      int64_t xlo, int64_t xhi, float* out, int32_t* idx) {
  float best = -INFINITY;
  int64_t bestIdx = -1;
  for (int64_t ky = ylo; ky < yhi; ky++) {
    const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
    for (int64_t kx = xlo; kx < xhi; kx++) {
      const int64_t ix = ox * p.strideW - p.padLeft + kx * p.dilationW;
      const float v = xp[iy * p.inW + ix];
      if (v > best || bestIdx < 0 || std::isnan(v)) {
        best = v;
        bestIdx = iy * p.inW + ix;
        if (std::isnan(v)) break;
      }
    }
  }
  *out = best;
  *idx = static_cast<int32_t>(bestIdx);
}

// Max pooling over the interior outputs [oxA, oxB) of one output row, whose windows have every
// column tap inside the input. Outputs go in blocks of vector width; each block keeps its running
// maximum and that maximum's index in registers across all window taps (a compare and two blends
// per tap, no data-dependent branches: random data mispredicts a branchy max) and is stored once.
// NaN never wins inside the vector code; a block that saw one redoes those outputs with the scalar
// rule (rare). Stride 2 reads each tap's lanes as the even elements of two contiguous loads.
//
// The portable copy works on 8-output blocks in local arrays that the compiler keeps in registers.
template <int SW>
STRIDE_INLINE void maxRowPortableImpl(const PoolGeometry* pp, const float* xp, int64_t oy, int64_t ylo, int64_t yhi,
                                      int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow) {
  const PoolGeometry& p = *pp;
  constexpr int kLanes = 8;
  for (int64_t ox0 = oxA; ox0 < oxB; ox0 += kLanes) {
    const int cnt = static_cast<int>(std::min<int64_t>(kLanes, oxB - ox0));
    float best[kLanes] = {};
    int32_t bi[kLanes] = {};
    bool nan = false;
    bool first = true;
    for (int64_t ky = ylo; ky < yhi; ky++) {
      const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
      for (int64_t kx = 0; kx < p.kW; kx++) {
        const int64_t col = ox0 * SW + kx * p.dilationW - p.padLeft;
        const float* src = xp + iy * p.inW + col;
        const int32_t base = static_cast<int32_t>(iy * p.inW + col);
        for (int j = 0; j < cnt; j++) {
          const float v = src[j * SW];
          nan |= v != v;
          const bool better = first || v > best[j];
          best[j] = better ? v : best[j];
          bi[j] = better ? base + j * SW : bi[j];
        }
        first = false;
      }
    }
    for (int j = 0; j < cnt; j++) {
      yRow[ox0 + j] = best[j];
      iRow[ox0 + j] = bi[j];
    }
    if (nan)
      for (int j = 0; j < cnt; j++) maxWindow(p, xp, oy, ox0 + j, ylo, yhi, 0, p.kW, yRow + ox0 + j, iRow + ox0 + j);
  }
}
void maxRowPortable1(const PoolGeometry* p, const float* xp, int64_t oy, int64_t ylo, int64_t yhi, int64_t oxA,
                     int64_t oxB, float* yRow, int32_t* iRow) {
  maxRowPortableImpl<1>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow);
}
void maxRowPortable2(const PoolGeometry* p, const float* xp, int64_t oy, int64_t ylo, int64_t yhi, int64_t oxA,
                     int64_t oxB, float* yRow, int32_t* iRow) {
  maxRowPortableImpl<2>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow);
}

// The running maximum of the values-only rows: a NaN, once seen, stays (the reference's "a NaN
// wins"); compiles to a compare, a NaN test and a select per lane.
STRIDE_INLINE float maxKeepNan(float best, float v) { return (v > best || v != v) ? v : best; }

// Separable max pooling without indices (inference) over the interior outputs [oxA, oxB) of one
// row, as maxRowSeparableAvx512<SW, false> does it, in portable loops the compiler vectorizes
// (SIMD128 on WebAssembly): the column maxima over the window's rows, every input column read once
// per output row, then the maxima of those along each window's columns. For stride 2 the column
// maxima are first split into even and odd columns, so every tap of the row pass reads contiguous
// values. No tie rule is needed (only values are kept; among tied zeros -0 may win over +0), and a
// NaN anywhere in a window makes its output NaN, as in maxWindow. iRow is not written.
template <int SW>
void maxRowSeparableValues(const PoolGeometry* pp, const float* xp, int64_t oy, int64_t ylo, int64_t yhi,
                           int64_t oxA, int64_t oxB, float* yRow, int32_t* /*iRow*/) {
  const PoolGeometry& p = *pp;
  const int64_t cA = oxA * SW - p.padLeft, cB = (oxB - 1) * SW - p.padLeft + (p.kW - 1) * p.dilationW + 1;
  const int64_t width = cB - cA, half = (width + 1) / 2;
  thread_local std::vector<float> colMax;
  if (colMax.size() < static_cast<size_t>(2 * width + 2)) colMax.resize(static_cast<size_t>(2 * width + 2));
  float* cm = colMax.data();
  {
    const float* src = xp + (oy * p.strideH - p.padTop + ylo * p.dilationH) * p.inW + cA;
    std::memcpy(cm, src, static_cast<size_t>(width) * sizeof(float));
  }
  for (int64_t ky = ylo + 1; ky < yhi; ky++) {
    const float* src = xp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW + cA;
    for (int64_t c = 0; c < width; c++) cm[c] = maxKeepNan(cm[c], src[c]);
  }
  const int64_t n = oxB - oxA;
  float* out = yRow + oxA;
  if (SW == 1) {
    std::memcpy(out, cm, static_cast<size_t>(n) * sizeof(float));
    for (int64_t kx = 1; kx < p.kW; kx++) {
      const float* t = cm + kx * p.dilationW;
      for (int64_t j = 0; j < n; j++) out[j] = maxKeepNan(out[j], t[j]);
    }
    return;
  }
  // ce[i] = cm[2i], co[i] = cm[2i + 1]: tap offset d reads (d even ? ce : co)[j + d / 2].
  float* ce = cm + width;
  float* co = ce + half;
  for (int64_t i = 0; i < width / 2; i++) {
    ce[i] = cm[2 * i];
    co[i] = cm[2 * i + 1];
  }
  if (width & 1) ce[half - 1] = cm[width - 1];
  for (int64_t kx = 0; kx < p.kW; kx++) {
    const int64_t d = kx * p.dilationW;
    const float* t = ((d & 1) ? co : ce) + d / 2;
    if (kx == 0) {
      std::memcpy(out, t, static_cast<size_t>(n) * sizeof(float));
      continue;
    }
    for (int64_t j = 0; j < n; j++) out[j] = maxKeepNan(out[j], t[j]);
  }
}

#if STRIDE_X86
template <int SW>
STRIDE_TARGET_AVX512 void maxRowAvx512(const PoolGeometry* pp, const float* xp, int64_t oy, int64_t ylo, int64_t yhi,
                                       int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow) {
  const PoolGeometry& p = *pp;
  const __m512i lane = _mm512_setr_epi32(0, SW, 2 * SW, 3 * SW, 4 * SW, 5 * SW, 6 * SW, 7 * SW, 8 * SW, 9 * SW,
                                         10 * SW, 11 * SW, 12 * SW, 13 * SW, 14 * SW, 15 * SW);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int64_t ox0 = oxA; ox0 < oxB; ox0 += 16) {
    const int cnt = static_cast<int>(std::min<int64_t>(16, oxB - ox0));
    const __mmask16 m = static_cast<__mmask16>((1u << cnt) - 1);
    // Stride 2: lane j reads element 2j of 32; load only the even ones so no read passes the input.
    const __mmask16 mLo = static_cast<__mmask16>(0x5555u & ((1u << (2 * std::min(cnt, 8))) - 1));
    const __mmask16 mHi = static_cast<__mmask16>(0x5555u & ((1u << (2 * std::max(cnt - 8, 0))) - 1));
    __m512 best = _mm512_setzero_ps();
    __m512i bi = _mm512_setzero_si512();
    __mmask16 nan = 0;
    bool first = true;
    for (int64_t ky = ylo; ky < yhi; ky++) {
      const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
      for (int64_t kx = 0; kx < p.kW; kx++) {
        const int64_t col = ox0 * SW + kx * p.dilationW - p.padLeft;
        const float* src = xp + iy * p.inW + col;
        __m512 v;
        if (SW == 1) {
          v = _mm512_maskz_loadu_ps(m, src);
        } else {
          v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(mLo, src), even, _mm512_maskz_loadu_ps(mHi, src + 16));
        }
        const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(iy * p.inW + col)), lane);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        const __mmask16 take = first ? static_cast<__mmask16>(0xFFFF) : _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
        best = _mm512_mask_mov_ps(best, take, v);
        bi = _mm512_mask_mov_epi32(bi, take, idx);
        first = false;
      }
    }
    _mm512_mask_storeu_ps(yRow + ox0, m, best);
    _mm512_mask_storeu_epi32(iRow + ox0, m, bi);
    for (unsigned bits = nan & m; bits != 0; bits &= bits - 1) {
      const int j = __builtin_ctz(bits);
      maxWindow(p, xp, oy, ox0 + j, ylo, yhi, 0, p.kW, yRow + ox0 + j, iRow + ox0 + j);
    }
  }
}

// Separable max pooling of the interior outputs [oxA, oxB) of one output row (stride 1 or 2
// along W), for windows of at least 2x2 taps: first the column maxima over the window's rows,
// every input column the row reads once, then the row maxima of those along each window's
// columns. In the window's row-major order a tap's flat index iy * inW + ix grows, so "the first
// maximum" is the largest value with the smallest index: the column pass keeps the first strict
// maximum down each column, and the row pass takes a tap that is greater, or equal with a
// smaller index. Reads each input value once per output row instead of once per window tap
// (kW / strideW times). Returns false when a NaN was read; the caller then runs maxRowAvx512,
// which applies the scalar rule to such windows.
//
// WithIdx false (inference: nothing reads the indices) keeps and writes only the values: the
// maximum then needs no tie rule, and each step is one max instruction (among tied zeros it may
// keep -0 where the first maximum in row-major order was +0; the values compare equal).
template <int SW, bool WithIdx = true>
STRIDE_TARGET_AVX512 bool maxRowSeparableAvx512(const PoolGeometry* pp, const float* xp, int64_t oy, int64_t ylo,
                                                int64_t yhi, int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow) {
  const PoolGeometry& p = *pp;
  const int64_t cA = oxA * SW - p.padLeft, cB = (oxB - 1) * SW - p.padLeft + (p.kW - 1) * p.dilationW + 1;
  const int64_t width = cB - cA;
  thread_local std::vector<float> colMax;
  thread_local std::vector<int32_t> colIdx;
  // Room for the row pass's full-vector reads past the last column (their lanes are dropped).
  const size_t room = static_cast<size_t>(width + 64);
  if (colMax.size() < room) {
    colMax.assign(room, 0.0f);
    colIdx.assign(room, 0);
  }
  float* cm = colMax.data();
  int32_t* ci = colIdx.data();
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __mmask16 nan = 0;
  // Row by row across all column blocks, so the blocks' loads and compares overlap (down one
  // column block at a time, each compare waited for the previous row's load).
  for (int64_t ky = ylo; ky < yhi; ky++) {
    const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
    const float* src = xp + iy * p.inW + cA;
    const int32_t base = static_cast<int32_t>(iy * p.inW + cA);
    for (int64_t c0 = 0; c0 < width; c0 += 16) {
      const __mmask16 m =
          width - c0 >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (width - c0)) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(m, src + c0);
      nan |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
      if constexpr (!WithIdx) {
        _mm512_storeu_ps(cm + c0, ky == ylo ? v : _mm512_max_ps(v, _mm512_loadu_ps(cm + c0)));
        continue;
      }
      const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(base + static_cast<int32_t>(c0)), iota);
      if (ky == ylo) {
        _mm512_storeu_ps(cm + c0, v);
        _mm512_storeu_si512(ci + c0, idx);
        continue;
      }
      const __mmask16 gt = _mm512_cmp_ps_mask(v, _mm512_loadu_ps(cm + c0), _CMP_GT_OQ);
      _mm512_mask_storeu_ps(cm + c0, gt, v);
      _mm512_mask_storeu_epi32(ci + c0, gt, idx);
    }
  }
  if (nan) return false;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (int64_t ox0 = oxA; ox0 < oxB; ox0 += 16) {
    const int cnt = static_cast<int>(std::min<int64_t>(16, oxB - ox0));
    const __mmask16 m = static_cast<__mmask16>((1u << cnt) - 1);
    __m512 best = _mm512_setzero_ps();
    __m512i bi = _mm512_setzero_si512();
    for (int64_t kx = 0; kx < p.kW; kx++) {
      const int64_t at = (ox0 - oxA) * SW + kx * p.dilationW;
      if constexpr (!WithIdx) {
        const __m512 v = SW == 1 ? _mm512_loadu_ps(cm + at)
                                 : _mm512_permutex2var_ps(_mm512_loadu_ps(cm + at), even, _mm512_loadu_ps(cm + at + 16));
        best = kx == 0 ? v : _mm512_max_ps(v, best);
        continue;
      }
      __m512 v;
      __m512i idx;
      if (SW == 1) {
        v = _mm512_loadu_ps(cm + at);
        idx = _mm512_loadu_si512(ci + at);
      } else {
        v = _mm512_permutex2var_ps(_mm512_loadu_ps(cm + at), even, _mm512_loadu_ps(cm + at + 16));
        idx = _mm512_permutex2var_epi32(_mm512_loadu_si512(ci + at), even, _mm512_loadu_si512(ci + at + 16));
      }
      if (kx == 0) {
        best = v;
        bi = idx;
        continue;
      }
      const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) |
                             (_mm512_cmp_ps_mask(v, best, _CMP_EQ_OQ) & _mm512_cmplt_epi32_mask(idx, bi));
      best = _mm512_mask_mov_ps(best, take, v);
      bi = _mm512_mask_mov_epi32(bi, take, idx);
    }
    _mm512_mask_storeu_ps(yRow + ox0, m, best);
    if constexpr (WithIdx) _mm512_mask_storeu_epi32(iRow + ox0, m, bi);
  }
  return true;
}

template <int SW>
STRIDE_TARGET_AVX2 void maxRowAvx2(const PoolGeometry* pp, const float* xp, int64_t oy, int64_t ylo, int64_t yhi,
                                   int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow) {
  const PoolGeometry& p = *pp;
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i lane = _mm256_mullo_epi32(iota, _mm256_set1_epi32(SW));
  for (int64_t ox0 = oxA; ox0 < oxB; ox0 += 8) {
    const int cnt = static_cast<int>(std::min<int64_t>(8, oxB - ox0));
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt), iota);
    // Stride 2: element i of the first (second) 8 is lane i/2 (4 + i/2); load the even ones in range.
    const __m256i evenI = _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0);
    const __m256i mLo = _mm256_and_si256(evenI, _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * cnt), iota));
    const __m256i mHi = _mm256_and_si256(evenI, _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * cnt - 8), iota));
    __m256 best = _mm256_setzero_ps();
    __m256 bi = _mm256_setzero_ps();  // int32 indices carried in float registers for blendv
    __m256 nan = _mm256_setzero_ps();
    bool first = true;
    for (int64_t ky = ylo; ky < yhi; ky++) {
      const int64_t iy = oy * p.strideH - p.padTop + ky * p.dilationH;
      for (int64_t kx = 0; kx < p.kW; kx++) {
        const int64_t col = ox0 * SW + kx * p.dilationW - p.padLeft;
        const float* src = xp + iy * p.inW + col;
        __m256 v;
        if (SW == 1) {
          v = cnt == 8 ? _mm256_loadu_ps(src) : _mm256_maskload_ps(src, m);
        } else {
          const __m256 a = _mm256_maskload_ps(src, mLo), b = _mm256_maskload_ps(src + 8, mHi);
          // [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6]
          v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
        }
        const __m256 idx = _mm256_castsi256_ps(
            _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(iy * p.inW + col)), lane));
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        if (first) {
          best = v;
          bi = idx;
          first = false;
          continue;
        }
        const __m256 gt = _mm256_cmp_ps(v, best, _CMP_GT_OQ);
        best = _mm256_blendv_ps(best, v, gt);
        bi = _mm256_blendv_ps(bi, idx, gt);
      }
    }
    if (cnt == 8) {
      _mm256_storeu_ps(yRow + ox0, best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(iRow + ox0), _mm256_castps_si256(bi));
    } else {
      _mm256_maskstore_ps(yRow + ox0, m, best);
      _mm256_maskstore_epi32(iRow + ox0, m, _mm256_castps_si256(bi));
    }
    for (unsigned bits = static_cast<unsigned>(_mm256_movemask_ps(nan)) & ((1u << cnt) - 1); bits != 0;
         bits &= bits - 1) {
      const int j = __builtin_ctz(bits);
      maxWindow(p, xp, oy, ox0 + j, ylo, yhi, 0, p.kW, yRow + ox0 + j, iRow + ox0 + j);
    }
  }
}
#endif

using MaxRowFn = void (*)(const PoolGeometry*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*,
                          int32_t*);

#if STRIDE_X86
// The AVX-512 row: separable (see maxRowSeparableAvx512), or tap by tap where a NaN was read.
template <int SW>
STRIDE_TARGET_AVX512 void maxRowSplitAvx512(const PoolGeometry* p, const float* xp, int64_t oy, int64_t ylo,
                                            int64_t yhi, int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow) {
  if (!maxRowSeparableAvx512<SW>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow))
    maxRowAvx512<SW>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow);
}
// The same without indices (iRow is a scratch row then, written only where a NaN was read).
template <int SW>
STRIDE_TARGET_AVX512 void maxRowSplitValuesAvx512(const PoolGeometry* p, const float* xp, int64_t oy, int64_t ylo,
                                                  int64_t yhi, int64_t oxA, int64_t oxB, float* yRow, int32_t* iRow) {
  if (!maxRowSeparableAvx512<SW, false>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow))
    maxRowAvx512<SW>(p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow);
}
#endif

// The row kernel for this geometry's stride along W (1 or 2) and the active instruction set;
// `values`: the caller keeps no indices.
MaxRowFn maxRowKernel(const PoolGeometry& p, bool values) {
  const int64_t strideW = p.strideW;
#if STRIDE_X86
  // Windows wider than their stride overlap: the separable rows read each value once.
  const bool split = p.kW > strideW;
  switch (activeIsa()) {
    case Isa::Avx512:
      if (split && values) return strideW == 1 ? maxRowSplitValuesAvx512<1> : maxRowSplitValuesAvx512<2>;
      if (split) return strideW == 1 ? maxRowSplitAvx512<1> : maxRowSplitAvx512<2>;
      return strideW == 1 ? maxRowAvx512<1> : maxRowAvx512<2>;
    case Isa::Avx2:
      return strideW == 1 ? maxRowAvx2<1> : maxRowAvx2<2>;
    default:
      break;
  }
#else
  // Values only (inference), on every other target (WebAssembly): the separable portable rows.
  if (values && p.kW > strideW)
    return strideW == 1 ? maxRowSeparableValues<1> : maxRowSeparableValues<2>;
#endif
  return strideW == 1 ? maxRowPortable1 : maxRowPortable2;
}

void maxPool2dForward(const PoolGeometry& p, const float* x, float* y, int32_t* indices) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  const Taps taps(p);
  // Outputs whose column taps all lie inside the input form one interval [oxA, oxB).
  int64_t oxA = 0, oxB = 0;
  while (oxA < p.outW && !(taps.xlo[oxA] == 0 && taps.xhi[oxA] == p.kW)) oxA++;
  oxB = oxA;
  while (oxB < p.outW && taps.xlo[oxB] == 0 && taps.xhi[oxB] == p.kW) oxB++;
  const bool rows = p.strideW <= 2 && oxB > oxA && p.kW > 0;
  const MaxRowFn row = maxRowKernel(p, indices == nullptr);
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    const float* xp = x + nc * plane;
    float* yp = y + nc * outPlane;
    // Without indices the kernels that keep them write one scratch row, overwritten row by row.
    thread_local std::vector<int32_t> scratchRow;
    if (!indices && scratchRow.size() < static_cast<size_t>(p.outW)) scratchRow.resize(p.outW);
    int32_t* ip = indices ? indices + nc * outPlane : nullptr;
    for (int64_t oy = 0; oy < p.outH; oy++) {
      const int64_t ylo = taps.ylo[oy], yhi = taps.yhi[oy];
      float* yRow = yp + oy * p.outW;
      int32_t* iRow = ip ? ip + oy * p.outW : scratchRow.data();
      const bool vector = rows && yhi > ylo;
      for (int64_t ox = 0; ox < p.outW; ox++) {
        if (vector && ox == oxA) {
          row(&p, xp, oy, ylo, yhi, oxA, oxB, yRow, iRow);
          ox = oxB - 1;
          continue;
        }
        maxWindow(p, xp, oy, ox, ylo, yhi, taps.xlo[ox], taps.xhi[ox], yRow + ox, iRow + ox);
      }
    }
  });
}

bool maxPool2dBackward(const PoolGeometry& p, const float* dy, const int32_t* indices, float* dx) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  std::atomic<bool> valid{true};
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    float* dxp = dx + nc * plane;
    const float* dyp = dy + nc * outPlane;
    const int32_t* ip = indices + nc * outPlane;
    if (maxPoolBackwardTiledPlane(p, dyp, ip, dxp)) return;
    std::memset(dxp, 0, plane * sizeof(float));
    for (int64_t o = 0; o < outPlane; o++) {
      const int32_t idx = ip[o];
      if (idx >= 0 && idx < plane)
        dxp[idx] += dyp[o];
      else if (idx >= plane)
        valid.store(false, std::memory_order_relaxed);
    }
  });
  return valid.load();
}

// Average of one output's window, summed in double (the reference's order: rows, then columns).
inline float avgWindow(const PoolGeometry& p, const Taps& taps, const float* xp, int64_t oy, int64_t ox) {
  const int64_t xlo = taps.xlo[ox], xhi = taps.xhi[ox];
  double s = 0.0;
  for (int64_t ky = taps.ylo[oy]; ky < taps.yhi[oy]; ky++) {
    const float* row = xp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
    for (int64_t kx = xlo; kx < xhi; kx++) s += row[ox * p.strideW - p.padLeft + kx * p.dilationW];
  }
  const double d = taps.countY[oy] * taps.countX[ox];
  return d > 0 ? static_cast<float>(s / d) : 0.0f;
}

#if STRIDE_X86
// Average pooling over the interior outputs [oxA, oxB) of one row (every column tap inside the
// input, at least one row tap), blocks of 16 outputs with double sums in registers; stride 2 as
// in maxRowAvx512. Same sums in the same order as avgWindow, so the results are identical.
template <int SW>
STRIDE_TARGET_AVX512 void avgRowAvx512(const PoolGeometry& p, const Taps& taps, const float* xp, int64_t oy,
                                       int64_t oxA, int64_t oxB, float* yRow) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512d countY = _mm512_set1_pd(taps.countY[oy]);
  for (int64_t ox0 = oxA; ox0 < oxB; ox0 += 16) {
    const int cnt = static_cast<int>(std::min<int64_t>(16, oxB - ox0));
    const __mmask16 m = static_cast<__mmask16>((1u << cnt) - 1);
    const __mmask16 mLo = static_cast<__mmask16>(0x5555u & ((1u << (2 * std::min(cnt, 8))) - 1));
    const __mmask16 mHi = static_cast<__mmask16>(0x5555u & ((1u << (2 * std::max(cnt - 8, 0))) - 1));
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (int64_t ky = taps.ylo[oy]; ky < taps.yhi[oy]; ky++) {
      const float* row = xp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
      for (int64_t kx = 0; kx < p.kW; kx++) {
        const float* src = row + ox0 * SW + kx * p.dilationW - p.padLeft;
        const __m512 v = SW == 1 ? _mm512_maskz_loadu_ps(m, src)
                                 : _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(mLo, src), even,
                                                          _mm512_maskz_loadu_ps(mHi, src + 16));
        lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
        hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
      }
    }
    const __mmask8 mA = static_cast<__mmask8>(m), mB = static_cast<__mmask8>(m >> 8);
    const __m512d dA = _mm512_mul_pd(countY, _mm512_mask_loadu_pd(_mm512_set1_pd(1.0), mA, &taps.countX[ox0]));
    const __m512d dB = _mm512_mul_pd(countY, _mm512_mask_loadu_pd(_mm512_set1_pd(1.0), mB, &taps.countX[ox0 + 8]));
    const __m256 yA = _mm512_cvtpd_ps(_mm512_div_pd(lo, dA)), yB = _mm512_cvtpd_ps(_mm512_div_pd(hi, dB));
    _mm512_mask_storeu_ps(yRow + ox0, m, _mm512_insertf32x8(_mm512_castps256_ps512(yA), yB, 1));
  }
}

template <int SW>
STRIDE_TARGET_AVX2 void avgRowAvx2(const PoolGeometry& p, const Taps& taps, const float* xp, int64_t oy,
                                   int64_t oxA, int64_t oxB, float* yRow) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i evenI = _mm256_setr_epi32(-1, 0, -1, 0, -1, 0, -1, 0);
  const __m256d countY = _mm256_set1_pd(taps.countY[oy]);
  for (int64_t ox0 = oxA; ox0 < oxB; ox0 += 8) {
    const int cnt = static_cast<int>(std::min<int64_t>(8, oxB - ox0));
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt), iota);
    const __m256i mLo = _mm256_and_si256(evenI, _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * cnt), iota));
    const __m256i mHi = _mm256_and_si256(evenI, _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * cnt - 8), iota));
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
    for (int64_t ky = taps.ylo[oy]; ky < taps.yhi[oy]; ky++) {
      const float* row = xp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
      for (int64_t kx = 0; kx < p.kW; kx++) {
        const float* src = row + ox0 * SW + kx * p.dilationW - p.padLeft;
        __m256 v;
        if (SW == 1) {
          v = _mm256_maskload_ps(src, m);
        } else {
          const __m256 a = _mm256_maskload_ps(src, mLo), b = _mm256_maskload_ps(src + 8, mHi);
          v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
        }
        lo = _mm256_add_pd(lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        hi = _mm256_add_pd(hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
      }
    }
    double d[8];
    for (int j = 0; j < 8; j++) d[j] = j < cnt ? taps.countX[ox0 + j] : 1.0;
    const __m128 yA = _mm256_cvtpd_ps(_mm256_div_pd(lo, _mm256_mul_pd(countY, _mm256_loadu_pd(d))));
    const __m128 yB = _mm256_cvtpd_ps(_mm256_div_pd(hi, _mm256_mul_pd(countY, _mm256_loadu_pd(d + 4))));
    _mm256_maskstore_ps(yRow + ox0, m, _mm256_insertf128_ps(_mm256_castps128_ps256(yA), yB, 1));
  }
}
#endif

void avgPool2dForward(const PoolGeometry& p, const float* x, float* y) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  const Taps taps(p);
  int64_t oxA = 0, oxB = 0;
  while (oxA < p.outW && !(taps.xlo[oxA] == 0 && taps.xhi[oxA] == p.kW)) oxA++;
  oxB = oxA;
  while (oxB < p.outW && taps.xlo[oxB] == 0 && taps.xhi[oxB] == p.kW) oxB++;
  void (*row)(const PoolGeometry&, const Taps&, const float*, int64_t, int64_t, int64_t, float*) = nullptr;
#if STRIDE_X86
  if (p.strideW <= 2 && oxB > oxA && p.kW > 0) {
    if (activeIsa() == Isa::Avx512) row = p.strideW == 1 ? avgRowAvx512<1> : avgRowAvx512<2>;
    if (activeIsa() == Isa::Avx2) row = p.strideW == 1 ? avgRowAvx2<1> : avgRowAvx2<2>;
  }
#endif
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    const float* xp = x + nc * plane;
    float* yp = y + nc * outPlane;
    for (int64_t oy = 0; oy < p.outH; oy++) {
      float* yRow = yp + oy * p.outW;
      const bool vector = row != nullptr && taps.yhi[oy] > taps.ylo[oy];
      for (int64_t ox = 0; ox < p.outW; ox++) {
        if (vector && ox == oxA) {
          row(p, taps, xp, oy, oxA, oxB, yRow);
          ox = oxB - 1;
          continue;
        }
        yRow[ox] = avgWindow(p, taps, xp, oy, ox);
      }
    }
  });
}

void avgPool2dBackward(const PoolGeometry& p, const float* dy, float* dx) {
  const int64_t plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  const Taps taps(p);
  ThreadPool::instance().parallelFor(p.batch * p.channels, poolThreads(p), [&](int64_t nc) {
    float* dxp = dx + nc * plane;
    const float* dyp = dy + nc * outPlane;
    std::memset(dxp, 0, plane * sizeof(float));
    for (int64_t oy = 0; oy < p.outH; oy++) {
      const int64_t ylo = taps.ylo[oy], yhi = taps.yhi[oy];
      for (int64_t ox = 0; ox < p.outW; ox++) {
        const double d = taps.countY[oy] * taps.countX[ox];
        if (d == 0) continue;
        const float g = static_cast<float>(dyp[oy * p.outW + ox] / d);
        const int64_t xlo = taps.xlo[ox], xhi = taps.xhi[ox];
        for (int64_t ky = ylo; ky < yhi; ky++) {
          float* row = dxp + (oy * p.strideH - p.padTop + ky * p.dilationH) * p.inW;
          for (int64_t kx = xlo; kx < xhi; kx++) row[ox * p.strideW - p.padLeft + kx * p.dilationW] += g;
        }
      }
    }
  });
}

}  // namespace stride
