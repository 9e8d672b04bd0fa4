// Element-wise loss kernels. Each row is a struct with f, dx and dt (the loss and its partial
// derivatives); the loops are templates over the row, so each compiles to its own loop with the
// formulas inlined. PyTorch's definitions, as in the reference: binaryCrossEntropy clamps its logs at
// -100 and the denominator of its gradient at 1e-12; the logits form is written without overflow.
#include "pointwise_loss.h"

#include <algorithm>
#include <cmath>

namespace stride {

namespace {

constexpr double kLogFloor = -100.0;
constexpr double kBceGradEps = 1e-12;

inline double softplusNeg(double x) { return std::max(-x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

inline double sigmoidOf(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

inline double sign(double v) { return v > 0.0 ? 1.0 : v < 0.0 ? -1.0 : 0.0; }

struct Mse {
  static double f(double x, double t, double, double, double) { return (x - t) * (x - t); }
  static double dx(double x, double t, double, double, double) { return 2.0 * (x - t); }
  static double dt(double x, double t, double, double, double) { return 2.0 * (t - x); }
};
struct L1 {
  static double f(double x, double t, double, double, double) { return std::fabs(x - t); }
  static double dx(double x, double t, double, double, double) { return sign(x - t); }
  static double dt(double x, double t, double, double, double) { return sign(t - x); }
};
struct SmoothL1 {
  static double g(double d, double beta) { return std::fabs(d) < beta ? d / beta : sign(d); }
  static double f(double x, double t, double, double, double beta) {
    const double d = x - t;
    return std::fabs(d) < beta ? 0.5 * d * d / beta : std::fabs(d) - 0.5 * beta;
  }
  static double dx(double x, double t, double, double, double beta) { return g(x - t, beta); }
  static double dt(double x, double t, double, double, double beta) { return -g(x - t, beta); }
};
struct Huber {
  static double g(double d, double delta) { return std::fabs(d) < delta ? d : delta * sign(d); }
  static double f(double x, double t, double, double, double delta) {
    const double d = x - t;
    return std::fabs(d) < delta ? 0.5 * d * d : delta * (std::fabs(d) - 0.5 * delta);
  }
  static double dx(double x, double t, double, double, double delta) { return g(x - t, delta); }
  static double dt(double x, double t, double, double, double delta) { return -g(x - t, delta); }
};
struct BinaryCrossEntropy {
  static double logx(double x) { return std::max(std::log(x), kLogFloor); }
  static double log1mx(double x) { return std::max(std::log1p(-x), kLogFloor); }
  static double f(double x, double t, double w, double, double) { return -w * (t * logx(x) + (1.0 - t) * log1mx(x)); }
  static double dx(double x, double t, double w, double, double) {
    return w * (x - t) / std::max((1.0 - x) * x, kBceGradEps);
  }
  static double dt(double x, double, double w, double, double) { return -w * (logx(x) - log1mx(x)); }
};
struct BinaryCrossEntropyWithLogits {
  static double f(double x, double t, double w, double pw, double) {
    return w * ((1.0 - t) * x + (1.0 + (pw - 1.0) * t) * softplusNeg(x));
  }
  static double dx(double x, double t, double w, double pw, double) {
    return w * (1.0 - t + (1.0 + (pw - 1.0) * t) * (sigmoidOf(x) - 1.0));
  }
  static double dt(double x, double, double w, double pw, double) { return w * (-x + (pw - 1.0) * softplusNeg(x)); }
};

template <typename L>
void forwardRange(const float* x, const float* t, const float* w, const float* pw, double param, double* out,
                  int64_t n) {
  for (int64_t j = 0; j < n; j++) out[j] = L::f(x[j], t[j], w ? w[j] : 1.0, pw ? pw[j] : 1.0, param);
}

template <typename L>
void backwardRange(const float* x, const float* t, const float* w, const float* pw, double param, const double* s,
                   float* dx, float* dt, int64_t n) {
  for (int64_t j = 0; j < n; j++) {
    const double wj = w ? w[j] : 1.0;
    const double pj = pw ? pw[j] : 1.0;
    if (dx) dx[j] = static_cast<float>(s[j] * L::dx(x[j], t[j], wj, pj, param));
    if (dt) dt[j] = static_cast<float>(s[j] * L::dt(x[j], t[j], wj, pj, param));
  }
}

struct Row {
  const char* name;
  void (*forward)(const float*, const float*, const float*, const float*, double, double*, int64_t);
  void (*backward)(const float*, const float*, const float*, const float*, double, const double*, float*, float*,
                   int64_t);
};

template <typename L>
constexpr Row row(const char* name) {
  return {name, forwardRange<L>, backwardRange<L>};
}

// The same names as the TypeScript table (codes are looked up by name).
constexpr Row kRows[] = {
    row<Mse>("mse"),
    row<L1>("l1"),
    row<SmoothL1>("smoothL1"),
    row<Huber>("huber"),
    row<BinaryCrossEntropy>("binaryCrossEntropy"),
    row<BinaryCrossEntropyWithLogits>("binaryCrossEntropyWithLogits"),
};

constexpr int kCount = static_cast<int>(sizeof kRows / sizeof kRows[0]);

}  // namespace

int pointwiseLossCount() { return kCount; }

const char* pointwiseLossName(int code) { return code >= 0 && code < kCount ? kRows[code].name : nullptr; }

void pointwiseLossForward(int code, const float* x, const float* t, const float* weight, const float* posWeight,
                          double param, double* losses, int64_t n) {
  kRows[code].forward(x, t, weight, posWeight, param, losses, n);
}

void pointwiseLossBackward(int code, const float* x, const float* t, const float* weight, const float* posWeight,
                           double param, const double* scales, float* dx, float* dt, int64_t n) {
  kRows[code].backward(x, t, weight, posWeight, param, scales, dx, dt, n);
}

}  // namespace stride
