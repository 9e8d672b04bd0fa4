// Activation kernels. Each row is a struct with f (the function) and df (its derivative from x and
// y = f(x)); the loops are templates over the row, so each compiles to its own loop with the
// formula inlined (no call per element). Accumulation is in float: these are one formula per
// element, compared with the float64 reference to float32 rounding in test/native/activation.test.ts.
#include "activation.h"

#include <cmath>

#include "elementwise.h"

namespace stride {

namespace {

constexpr float kSeluScale = 1.0507009873554805f;
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kGeluTanhCoef = 0.044715f;

inline float sigmoidOf(float v) {
  if (v >= 0.0f) return 1.0f / (1.0f + std::exp(-v));
  const float e = std::exp(v);
  return e / (1.0f + e);
}

inline float softplusOf(float v) { return std::fmax(v, 0.0f) + std::log1p(std::exp(-std::fabs(v))); }

struct LeakyRelu {
  static float f(float x, float p0, float) { return x > 0.0f ? x : x * p0; }
  static float df(float x, float, float p0, float) { return x > 0.0f ? 1.0f : p0; }
};
struct Elu {
  static float f(float x, float p0, float) { return x > 0.0f ? x : p0 * std::expm1(x); }
  static float df(float x, float, float p0, float) { return x > 0.0f ? 1.0f : p0 * std::exp(x); }
};
struct Celu {
  static float f(float x, float p0, float) { return x > 0.0f ? x : p0 * std::expm1(x / p0); }
  static float df(float x, float, float p0, float) { return x > 0.0f ? 1.0f : std::exp(x / p0); }
};
struct Selu {
  static float f(float x, float, float) { return x > 0.0f ? kSeluScale * x : kSeluScale * kSeluAlpha * std::expm1(x); }
  static float df(float x, float, float, float) { return x > 0.0f ? kSeluScale : kSeluScale * kSeluAlpha * std::exp(x); }
};
struct Gelu {
  static float f(float x, float, float) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); }
  static float df(float x, float, float, float) {
    return 0.5f * (1.0f + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
  }
};
struct GeluTanh {
  static float f(float x, float, float) {
    return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + kGeluTanhCoef * x * x * x)));
  }
  static float df(float x, float, float, float) {
    const float t = std::tanh(kSqrt2OverPi * (x + kGeluTanhCoef * x * x * x));
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluTanhCoef * x * x);
  }
};
struct Silu {
  static float f(float x, float, float) { return x * sigmoidOf(x); }
  static float df(float x, float, float, float) {
    const float s = sigmoidOf(x);
    return s * (1.0f + x * (1.0f - s));
  }
};
struct Hardsigmoid {
  static float f(float x, float, float) { return x <= -3.0f ? 0.0f : x >= 3.0f ? 1.0f : x / 6.0f + 0.5f; }
  static float df(float x, float, float, float) { return x > -3.0f && x < 3.0f ? 1.0f / 6.0f : 0.0f; }
};
struct Hardswish {
  static float f(float x, float, float) { return x <= -3.0f ? 0.0f : x >= 3.0f ? x : x * (x + 3.0f) / 6.0f; }
  static float df(float x, float, float, float) { return x < -3.0f ? 0.0f : x <= 3.0f ? x / 3.0f + 0.5f : 1.0f; }
};
struct Mish {
  static float f(float x, float, float) { return x * std::tanh(softplusOf(x)); }
  static float df(float x, float, float, float) {
    const float t = std::tanh(softplusOf(x));
    return t + x * sigmoidOf(x) * (1.0f - t * t);
  }
};
struct Softplus {
  static float f(float x, float p0, float p1) { return p0 * x > p1 ? x : softplusOf(p0 * x) / p0; }
  static float df(float x, float, float p0, float p1) { return p0 * x > p1 ? 1.0f : sigmoidOf(p0 * x); }
};
struct Hardtanh {
  static float f(float x, float p0, float p1) { return x < p0 ? p0 : x > p1 ? p1 : x; }
  static float df(float x, float, float p0, float p1) { return x > p0 && x < p1 ? 1.0f : 0.0f; }
};
struct Softsign {
  static float f(float x, float, float) { return x / (1.0f + std::fabs(x)); }
  static float df(float x, float, float, float) {
    const float d = 1.0f + std::fabs(x);
    return 1.0f / (d * d);
  }
};
struct Sigmoid {
  static float f(float x, float, float) { return sigmoidOf(x); }
  static float df(float, float y, float, float) { return y * (1.0f - y); }
};
struct Tanh {
  static float f(float x, float, float) { return std::tanh(x); }
  static float df(float, float y, float, float) { return 1.0f - y * y; }
};

template <typename A>
void forwardRange(const float* x, float* y, int64_t n, float p0, float p1) {
  for (int64_t i = 0; i < n; i++) y[i] = A::f(x[i], p0, p1);
}

template <typename A>
void backwardRange(const float* x, const float* y, const float* g, float* dx, int64_t n, float p0, float p1) {
  for (int64_t i = 0; i < n; i++) dx[i] = g[i] * A::df(x[i], y[i], p0, p1);
}

struct Row {
  const char* name;
  void (*forward)(const float*, float*, int64_t, float, float);
  void (*backward)(const float*, const float*, const float*, float*, int64_t, float, float);
};

template <typename A>
constexpr Row row(const char* name) {
  return {name, forwardRange<A>, backwardRange<A>};
}

// The same names as the TypeScript table; the order need not match (codes are looked up by name).
constexpr Row kRows[] = {
    row<LeakyRelu>("leakyRelu"), row<Elu>("elu"),           row<Selu>("selu"),
    row<Gelu>("gelu"),           row<GeluTanh>("geluTanh"), row<Silu>("silu"),
    row<Hardsigmoid>("hardsigmoid"), row<Hardswish>("hardswish"), row<Mish>("mish"),
    row<Softplus>("softplus"),   row<Hardtanh>("hardtanh"), row<Sigmoid>("sigmoid"),
    row<Tanh>("tanh"),           row<Softsign>("softsign"), row<Celu>("celu"),
};

constexpr int kCount = static_cast<int>(sizeof kRows / sizeof kRows[0]);

}  // namespace

int activationCount() { return kCount; }

const char* activationName(int code) { return code >= 0 && code < kCount ? kRows[code].name : nullptr; }

void activationForward(int code, const float* x, float* y, int64_t n, float p0, float p1) {
  const Row& r = kRows[code];
  parallelElements(n, [&](int64_t b, int64_t e) { r.forward(x + b, y + b, e - b, p0, p1); });
}

void activationBackward(int code, const float* x, const float* y, const float* g, float* dx, int64_t n, float p0,
                        float p1) {
  const Row& r = kRows[code];
  parallelElements(n, [&](int64_t b, int64_t e) { r.backward(x + b, y + b, g + b, dx + b, e - b, p0, p1); });
}

}  // namespace stride
