// Max-pool backward for tiling windows (see max_pool_backward.h).
#include "max_pool_backward.h"

#include <algorithm>
#include <cstring>

#include "cpu.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

bool tiles(const PoolGeometry& p) {
  return p.kH == p.strideH && p.kW == p.strideW && p.padTop == 0 && p.padLeft == 0 && p.dilationH == 1 &&
         p.dilationW == 1 && p.outH * p.kH <= p.inH && p.outW * p.kW <= p.inW;
}

// Windows [ox0, ox1) of output row oy, one value at a time; false on an index outside its window.
bool rowScalar(const PoolGeometry& p, const float* dyp, const int32_t* ip, float* dxp, int64_t oy, int64_t ox0,
               int64_t ox1) {
  for (int64_t ox = ox0; ox < ox1; ox++) {
    const int64_t o = oy * p.outW + ox;
    const int64_t idx = ip[o];
    const float g = dyp[o];
    int hits = 0;
    for (int64_t r = 0; r < p.kH; r++) {
      const int64_t row = (oy * p.kH + r) * p.inW + ox * p.kW;
      for (int64_t c = 0; c < p.kW; c++) {
        const bool hit = row + c == idx;
        hits += hit;
        dxp[row + c] = hit ? g : 0.0f;
      }
    }
    if (hits == 0 && idx >= 0) return false;
  }
  return true;
}

#if STRIDE_X86
// 2x2 windows of output row oy, 8 at a time: lane l of the two dx rows belongs to window l / 2,
// and takes that window's dy where its position equals the window's recorded index.
STRIDE_TARGET_AVX512 bool row2x2Avx512(const PoolGeometry& p, const float* dyp, const int32_t* ip, float* dxp,
                                       int64_t oy) {
  const __m512i dup = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const int32_t* io = ip + oy * p.outW;
  const float* go = dyp + oy * p.outW;
  for (int64_t ox0 = 0; ox0 < p.outW; ox0 += 8) {
    const int count = static_cast<int>(std::min<int64_t>(8, p.outW - ox0));
    const __mmask16 m8 = static_cast<__mmask16>((1u << count) - 1);
    const __mmask16 m16 = static_cast<__mmask16>((1u << (2 * count)) - 1);
    const __m512i vi = _mm512_permutexvar_epi32(dup, _mm512_maskz_loadu_epi32(m8, io + ox0));
    const __m512 vg = _mm512_permutexvar_ps(dup, _mm512_maskz_loadu_ps(m8, go + ox0));
    __mmask16 seen = 0;
    for (int64_t r = 0; r < 2; r++) {
      const int64_t at = (2 * oy + r) * p.inW + 2 * ox0;
      const __m512i pos = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(at)), iota);
      const __mmask16 hit = _mm512_mask_cmpeq_epi32_mask(m16, vi, pos);
      seen |= hit;
      _mm512_mask_storeu_ps(dxp + at, m16, _mm512_maskz_mov_ps(hit, vg));
    }
    // Every window needs its maximum in one of its two lanes, unless its index is -1.
    const unsigned pairs = (seen | (seen >> 1)) & 0x5555u;
    if (pairs != (0x5555u & m16))
      for (int j = 0; j < count; j++)
        if (!((pairs >> (2 * j)) & 1u) && io[ox0 + j] >= 0) return false;
  }
  return true;
}
#endif

}  // namespace

bool maxPoolBackwardTiledPlane(const PoolGeometry& p, const float* dyp, const int32_t* ip, float* dxp) {
  // Rows of fewer than 8 windows: the memset and scatter of a plane this small measured as fast.
  if (!tiles(p) || p.outW < 8) return false;
#if STRIDE_X86
  const bool vector = p.kH == 2 && p.kW == 2 && activeIsa() == Isa::Avx512;
#else
  const bool vector = false;
#endif
  for (int64_t oy = 0; oy < p.outH; oy++) {
#if STRIDE_X86
    if (vector) {
      if (!row2x2Avx512(p, dyp, ip, dxp, oy)) return false;
    } else if (!rowScalar(p, dyp, ip, dxp, oy, 0, p.outW)) {
      return false;
    }
#else
    (void)vector;
    if (!rowScalar(p, dyp, ip, dxp, oy, 0, p.outW)) return false;
#endif
    // Columns right of the last window.
    const int64_t covered = p.outW * p.kW;
    if (covered < p.inW)
      for (int64_t r = 0; r < p.kH; r++)
        std::memset(dxp + (oy * p.kH + r) * p.inW + covered, 0, (p.inW - covered) * sizeof(float));
  }
  // Rows below the last window.
  const int64_t coveredRows = p.outH * p.kH;
  if (coveredRows < p.inH) std::memset(dxp + coveredRows * p.inW, 0, (p.inH - coveredRows) * p.inW * sizeof(float));
  return true;
}

}  // namespace stride
