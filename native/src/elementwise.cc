#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "multiversion.h"
#include "thread_pool.h"

#if STRIDE_X86
#include <immintrin.h>
#endif

namespace stride {

namespace {

// Arrays at least this long are split across threads (element-wise work is memory bound, so
// only large arrays gain).
constexpr int64_t kParallelElements = 1 << 16;

int threadsForElements(int64_t n) {
  return n >= kParallelElements ? numThreads() : 1;
}

// Split [0, n) into chunks of at least kParallelElements / 4 and run fn(begin, end) on them.
template <typename Fn>
void chunked(int64_t n, Fn&& fn) {
  const int threads = threadsForElements(n);
  if (threads <= 1) return fn(int64_t{0}, n);
  const int64_t chunks = std::min<int64_t>(threads * 4, (n + kParallelElements / 4 - 1) / (kParallelElements / 4));
  const int64_t step = (n + chunks - 1) / chunks;
  ThreadPool::instance().parallelFor(chunks, threads, [&](int64_t c) {
    const int64_t b = c * step, e = std::min(n, b + step);
    if (b < e) fn(b, e);
  });
}

// ----- Vectorized exp: e^x = 2^n * e^r, |r| <= ln2 / 2, Cephes polynomial (about 1 ulp) -----

constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f;
constexpr float kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;

// exp, tanh and sigmoid have vector bodies with a scalar tail.
enum class Transcendental { Exp, Tanh, Sigmoid };

inline float sigmoidScalar(float v) {
  if (v >= 0) return 1.0f / (1.0f + std::exp(-v));
  const float e = std::exp(v);
  return e / (1.0f + e);
}

#if STRIDE_X86
STRIDE_TARGET_AVX512 inline __m512 exp512(__m512 x) {
  // Clamp with NaN kept (max/min return their second operand when one is NaN).
  x = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-104.0f), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

STRIDE_TARGET_AVX2 inline __m256 exp256(__m256 x) {
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), _mm256_max_ps(_mm256_set1_ps(-87.3f), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n as 2 * 2^(n-1) so that n = 128 (x near the overflow limit) stays representable.
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(126)), 23);
  const __m256 y = _mm256_mul_ps(_mm256_add_ps(p, p), _mm256_castsi256_ps(e));
  return _mm256_andnot_ps(tiny, y);  // below e^-87.3 the result flushes to zero
}

// Cephes tanhf: an odd polynomial below 0.625, (1 - e) / (1 + e) with e = exp(-2|x|) above.
constexpr float kT0 = -5.70498872745e-3f, kT1 = 2.06390887954e-2f, kT2 = -5.37397155531e-2f;
constexpr float kT3 = 1.33314422036e-1f, kT4 = -3.33332819422e-1f;

STRIDE_TARGET_AVX512 inline __m512 tanh512(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(kT0);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(kT1));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(kT2));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(kT3));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(kT4));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  const __m512 e = exp512(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)));
  __m512 big = _mm512_div_ps(_mm512_sub_ps(_mm512_set1_ps(1.0f), e), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  // Copy the sign of x onto the large-argument branch.
  big = _mm512_castsi512_ps(_mm512_or_si512(
      _mm512_castps_si512(big), _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN))));
  const __mmask16 useSmall = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(useSmall, big, small);
}

STRIDE_TARGET_AVX2 inline __m256 tanh256(__m256 x) {
  const __m256 signBit = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(signBit, x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(kT0);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT1));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT2));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT3));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(kT4));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  const __m256 e = exp256(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)));
  __m256 big = _mm256_div_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), e), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  big = _mm256_or_ps(big, _mm256_and_ps(x, signBit));
  const __m256 useSmall = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  return _mm256_blendv_ps(big, small, useSmall);
}

// Sigmoid without overflow on either tail: with e = exp(-|x|), 1 / (1 + e) or e / (1 + e).
STRIDE_TARGET_AVX512 inline __m512 sigmoid512(__m512 x) {
  const __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(x)));
  const __m512 s = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
  const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(s, neg, s, e);
}

STRIDE_TARGET_AVX2 inline __m256 sigmoid256(__m256 x) {
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), ax));
  const __m256 s = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(s, _mm256_mul_ps(s, e), neg);
}

STRIDE_TARGET_AVX512 void transcendental512(Transcendental f, const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    _mm512_storeu_ps(y + i, f == Transcendental::Exp ? exp512(v) : f == Transcendental::Tanh ? tanh512(v) : sigmoid512(v));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    _mm512_mask_storeu_ps(y + i, m, f == Transcendental::Exp ? exp512(v) : f == Transcendental::Tanh ? tanh512(v) : sigmoid512(v));
  }
}

STRIDE_TARGET_AVX2 void transcendental256(Transcendental f, const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    _mm256_storeu_ps(y + i, f == Transcendental::Exp ? exp256(v) : f == Transcendental::Tanh ? tanh256(v) : sigmoid256(v));
  }
  if (i < n) {
    alignas(32) float buf[8] = {};
    for (int64_t j = i; j < n; j++) buf[j - i] = x[j];
    const __m256 v = _mm256_load_ps(buf);
    _mm256_store_ps(buf, f == Transcendental::Exp ? exp256(v) : f == Transcendental::Tanh ? tanh256(v) : sigmoid256(v));
    for (int64_t j = i; j < n; j++) y[j] = buf[j - i];
  }
}

#endif  // STRIDE_X86

void transcendentalScalar(Transcendental f, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    y[i] = f == Transcendental::Exp ? std::exp(x[i]) : f == Transcendental::Tanh ? std::tanh(x[i]) : sigmoidScalar(x[i]);
}

void transcendental(Transcendental f, const float* x, float* y, int64_t n) {
#if STRIDE_X86
  switch (activeIsa()) {
    case Isa::Avx512:
      return transcendental512(f, x, y, n);
    case Isa::Avx2:
      return transcendental256(f, x, y, n);
    default:
      break;
  }
#endif
  transcendentalScalar(f, x, y, n);
}

// Simple unary ops: loops the compiler vectorizes for each instruction set.
STRIDE_INLINE void simpleUnaryImpl(UnaryOp op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case UnaryOp::Neg:
      for (int64_t i = 0; i < n; i++) y[i] = -x[i];
      return;
    case UnaryOp::Abs:
      for (int64_t i = 0; i < n; i++) y[i] = std::fabs(x[i]);
      return;
    case UnaryOp::Sign:
      for (int64_t i = 0; i < n; i++) {
        const float v = x[i];
        y[i] = v > 0 ? 1.0f : v < 0 ? -1.0f : v;  // keeps 0, -0 and NaN
      }
      return;
    case UnaryOp::Relu:
      for (int64_t i = 0; i < n; i++) {
        const float v = x[i];
        y[i] = v > 0 ? v : 0.0f;
      }
      return;
    case UnaryOp::LeakyRelu:
      for (int64_t i = 0; i < n; i++) {
        const float v = x[i];
        y[i] = v > 0 ? v : alpha * v;
      }
      return;
    case UnaryOp::Sqrt:
      for (int64_t i = 0; i < n; i++) y[i] = std::sqrt(x[i]);
      return;
    case UnaryOp::Reciprocal:
      for (int64_t i = 0; i < n; i++) y[i] = 1.0f / x[i];
      return;
    case UnaryOp::Square:
      for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i];
      return;
    default:
      return;
  }
}
STRIDE_MULTIVERSION(simpleUnary, simpleUnaryImpl)

void unaryRange(UnaryOp op, const float* x, float* y, int64_t n, float alpha) {
  switch (op) {
    case UnaryOp::Exp:
      return transcendental(Transcendental::Exp, x, y, n);
    case UnaryOp::Tanh:
      return transcendental(Transcendental::Tanh, x, y, n);
    case UnaryOp::Sigmoid:
      return transcendental(Transcendental::Sigmoid, x, y, n);
    case UnaryOp::Log:
      for (int64_t i = 0; i < n; i++) y[i] = std::log(x[i]);
      return;
    case UnaryOp::Elu:
      for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : alpha * std::expm1(x[i]);
      return;
    case UnaryOp::Erf:
      for (int64_t i = 0; i < n; i++) y[i] = std::erf(x[i]);
      return;
    case UnaryOp::PowScalar:
      if (alpha == 2.0f) return simpleUnary(UnaryOp::Square, x, y, n, alpha);
      for (int64_t i = 0; i < n; i++) y[i] = std::pow(x[i], alpha);
      return;
    default:
      return simpleUnary(op, x, y, n, alpha);
  }
}

// ----- Binary ops -----

struct AddF { static float f(float a, float b) { return a + b; } };
struct SubF { static float f(float a, float b) { return a - b; } };
struct MulF { static float f(float a, float b) { return a * b; } };
struct DivF { static float f(float a, float b) { return a / b; } };
struct PowF { static float f(float a, float b) { return std::pow(a, b); } };
// NaN in `a` wins, as in the reference backend.
struct MaxF { static float f(float a, float b) { return (a >= b || a != a) ? a : b; } };
struct MinF { static float f(float a, float b) { return (a <= b || a != a) ? a : b; } };
struct EqF { static float f(float a, float b) { return a == b ? 1.0f : 0.0f; } };
struct GtF { static float f(float a, float b) { return a > b ? 1.0f : 0.0f; } };
struct GeF { static float f(float a, float b) { return a >= b ? 1.0f : 0.0f; } };
struct LtF { static float f(float a, float b) { return a < b ? 1.0f : 0.0f; } };
struct LeF { static float f(float a, float b) { return a <= b ? 1.0f : 0.0f; } };
// The ReLU gradient: a (the output gradient) where b (the ReLU's input) is positive.
struct ReluGradF { static float f(float a, float b) { return b > 0.0f ? a : 0.0f; } };

// One innermost row: out[t] = f(a[t*sa], b[t*sb]) with the unit/zero stride cases specialized.
template <typename F>
STRIDE_INLINE void binaryRowImpl(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
  if (sa == 1 && sb == 1) {
    for (int64_t t = 0; t < n; t++) out[t] = F::f(a[t], b[t]);
  } else if (sa == 1 && sb == 0) {
    const float bv = *b;
    for (int64_t t = 0; t < n; t++) out[t] = F::f(a[t], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = *a;
    for (int64_t t = 0; t < n; t++) out[t] = F::f(av, b[t]);
  } else {
    for (int64_t t = 0; t < n; t++) out[t] = F::f(a[t * sa], b[t * sb]);
  }
}

STRIDE_MULTIVERSION_T(binaryRow, binaryRowImpl)

// The broadcast walk over rows [r0, r1) of the merged shape (all but the last dimension).
template <typename F>
void binaryRows(const float* a, const float* b, float* out, const std::vector<int64_t>& shape,
                const std::vector<int64_t>& sa, const std::vector<int64_t>& sb, int64_t r0, int64_t r1) {
  const int nd = static_cast<int>(shape.size());
  const int64_t inner = shape[nd - 1];
  std::vector<int64_t> idx(nd > 1 ? nd - 1 : 0);
  int64_t ia = 0, ib = 0;
  int64_t rem = r0;
  for (int d = nd - 2; d >= 0; d--) {
    idx[d] = rem % shape[d];
    rem /= shape[d];
    ia += idx[d] * sa[d];
    ib += idx[d] * sb[d];
  }
  for (int64_t r = r0; r < r1; r++) {
    binaryRow<F>(a + ia, sa[nd - 1], b + ib, sb[nd - 1], out + r * inner, inner);
    for (int d = nd - 2; d >= 0; d--) {
      ia += sa[d];
      ib += sb[d];
      if (++idx[d] < shape[d]) break;
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
}

template <typename F>
void binaryTyped(const float* a, const float* b, float* out, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& sa, const std::vector<int64_t>& sb) {
  const int64_t inner = shape.back();
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); d++) rows *= shape[d];
  const int64_t total = rows * inner;
  if (rows == 1) {
    // One long row: split it.
    chunked(total, [&](int64_t bgn, int64_t end) {
      binaryRow<F>(a + bgn * sa.back(), sa.back(), b + bgn * sb.back(), sb.back(), out + bgn, end - bgn);
    });
    return;
  }
  const int threads = threadsForElements(total);
  if (threads <= 1) return binaryRows<F>(a, b, out, shape, sa, sb, 0, rows);
  const int64_t chunks = std::min<int64_t>(rows, threads * 4);
  const int64_t step = (rows + chunks - 1) / chunks;
  ThreadPool::instance().parallelFor(chunks, threads, [&](int64_t c) {
    const int64_t r0 = c * step, r1 = std::min(rows, r0 + step);
    if (r0 < r1) binaryRows<F>(a, b, out, shape, sa, sb, r0, r1);
  });
}

}  // namespace

void unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha) {
  chunked(n, [&](int64_t b, int64_t e) { unaryRange(op, x + b, y + b, e - b, alpha); });
}

void binary(BinaryOp op, const float* a, const int64_t* aStrides, const float* b, const int64_t* bStrides,
            float* out, const int64_t* outShape, int nd) {
  // Drop size-1 dimensions and merge neighbours that both operands walk contiguously.
  std::vector<int64_t> shape, sa, sb;
  for (int d = 0; d < nd; d++) {
    if (outShape[d] == 0) return;
    if (outShape[d] == 1) continue;
    if (!shape.empty() && sa.back() == aStrides[d] * outShape[d] && sb.back() == bStrides[d] * outShape[d]) {
      shape.back() *= outShape[d];
      sa.back() = aStrides[d];
      sb.back() = bStrides[d];
      continue;
    }
    shape.push_back(outShape[d]);
    sa.push_back(aStrides[d]);
    sb.push_back(bStrides[d]);
  }
  if (shape.empty()) {
    shape.push_back(1);
    sa.push_back(0);
    sb.push_back(0);
  }
  switch (op) {
    case BinaryOp::Add: return binaryTyped<AddF>(a, b, out, shape, sa, sb);
    case BinaryOp::Sub: return binaryTyped<SubF>(a, b, out, shape, sa, sb);
    case BinaryOp::Mul: return binaryTyped<MulF>(a, b, out, shape, sa, sb);
    case BinaryOp::Div: return binaryTyped<DivF>(a, b, out, shape, sa, sb);
    case BinaryOp::Pow: return binaryTyped<PowF>(a, b, out, shape, sa, sb);
    case BinaryOp::Maximum: return binaryTyped<MaxF>(a, b, out, shape, sa, sb);
    case BinaryOp::Minimum: return binaryTyped<MinF>(a, b, out, shape, sa, sb);
    case BinaryOp::Eq: return binaryTyped<EqF>(a, b, out, shape, sa, sb);
    case BinaryOp::Gt: return binaryTyped<GtF>(a, b, out, shape, sa, sb);
    case BinaryOp::Ge: return binaryTyped<GeF>(a, b, out, shape, sa, sb);
    case BinaryOp::Lt: return binaryTyped<LtF>(a, b, out, shape, sa, sb);
    case BinaryOp::Le: return binaryTyped<LeF>(a, b, out, shape, sa, sb);
    case BinaryOp::ReluGrad: return binaryTyped<ReluGradF>(a, b, out, shape, sa, sb);
    default: return;
  }
}

void parallelElements(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  chunked(n, [&](int64_t b, int64_t e) { fn(b, e); });
}

void expRange(const float* x, float* y, int64_t n) { transcendental(Transcendental::Exp, x, y, n); }

}  // namespace stride
