// Softmax kernels. A contiguous row (inner = 1, the class scores of [N, C]) is normalized with
// vector loops: its maximum, e^(x − max) with the vector exp of elementwise.cc, the sum (in double,
// as the reference), then one scaling pass. With inner > 1 ([N, C, H, W] along C) a block of up to
// kInnerBlock positions is normalized at once, every loop running along the contiguous inner axis.
// logSumExp takes the same maximum and sums e^(x − max) through a stack buffer of kInnerBlock
// values at a time; its backward writes x − y into dx and exponentiates it in place.
// Rows are spread over threads only for tensors of kParallelElements or more: a batch of 64 ×
// 10 class scores is done before a helper thread wakes.
#include "softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "elementwise.h"
#include "thread_pool.h"

namespace stride {

namespace {

constexpr int64_t kInnerBlock = 256;
constexpr int64_t kParallelElements = 1 << 15;

// The maximum of a slice as the reference takes it: NaN never wins, and an infinite maximum becomes
// 0 so that an all −∞ slice gives −∞ (log) or NaN, and a +∞ one NaN or +∞, as in the reference.
inline float finiteOrZero(float m) { return std::isfinite(m) ? m : 0.0f; }

// The maximum of a contiguous slice of n values, as finiteOrZero takes it.
inline float sliceMax(int64_t n, const float* x) {
  float m = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : m)
  for (int64_t k = 0; k < n; k++) m = x[k] > m ? x[k] : m;
  return finiteOrZero(m);
}

// m[i] = the maximum over k < n of x[k * inner + i], for the w positions of a block, as sliceMax.
inline void blockMax(int64_t n, int64_t inner, int64_t w, const float* x, float* m) {
  std::fill(m, m + w, -std::numeric_limits<float>::infinity());
  for (int64_t k = 0; k < n; k++) {
    const float* xr = x + k * inner;
    for (int64_t i = 0; i < w; i++) m[i] = xr[i] > m[i] ? xr[i] : m[i];
  }
  for (int64_t i = 0; i < w; i++) m[i] = finiteOrZero(m[i]);
}

void forwardRow(int64_t n, bool log, const float* x, float* y) {
  const float m = sliceMax(n, x);
  for (int64_t k = 0; k < n; k++) y[k] = x[k] - m;
  expRange(y, y, n);
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t k = 0; k < n; k++) s += y[k];
  if (log) {
    const float shift = static_cast<float>(m + std::log(s));
    for (int64_t k = 0; k < n; k++) y[k] = x[k] - shift;
  } else {
    const float inv = static_cast<float>(1.0 / s);
    for (int64_t k = 0; k < n; k++) y[k] *= inv;
  }
}

void forwardBlock(int64_t n, int64_t inner, int64_t w, bool log, const float* x, float* y) {
  float m[kInnerBlock];
  double s[kInnerBlock];
  blockMax(n, inner, w, x, m);
  std::fill(s, s + w, 0.0);
  for (int64_t k = 0; k < n; k++) {
    const float* xr = x + k * inner;
    float* yr = y + k * inner;
    for (int64_t i = 0; i < w; i++) yr[i] = xr[i] - m[i];
    expRange(yr, yr, w);
    for (int64_t i = 0; i < w; i++) s[i] += yr[i];
  }
  float t[kInnerBlock];
  if (log) {
    for (int64_t i = 0; i < w; i++) t[i] = static_cast<float>(m[i] + std::log(s[i]));
    for (int64_t k = 0; k < n; k++) {
      const float* xr = x + k * inner;
      float* yr = y + k * inner;
      for (int64_t i = 0; i < w; i++) yr[i] = xr[i] - t[i];
    }
  } else {
    for (int64_t i = 0; i < w; i++) t[i] = static_cast<float>(1.0 / s[i]);
    for (int64_t k = 0; k < n; k++) {
      float* yr = y + k * inner;
      for (int64_t i = 0; i < w; i++) yr[i] *= t[i];
    }
  }
}

void backwardRow(int64_t n, bool log, const float* y, const float* g, float* dx) {
  double acc = 0;
  if (log) {
#pragma omp simd reduction(+ : acc)
    for (int64_t k = 0; k < n; k++) acc += g[k];
    expRange(y, dx, n);
    const float a = static_cast<float>(acc);
    for (int64_t k = 0; k < n; k++) dx[k] = g[k] - dx[k] * a;
  } else {
#pragma omp simd reduction(+ : acc)
    for (int64_t k = 0; k < n; k++) acc += static_cast<double>(g[k]) * y[k];
    const float a = static_cast<float>(acc);
    for (int64_t k = 0; k < n; k++) dx[k] = y[k] * (g[k] - a);
  }
}

void backwardBlock(int64_t n, int64_t inner, int64_t w, bool log, const float* y, const float* g, float* dx) {
  double acc[kInnerBlock];
  std::fill(acc, acc + w, 0.0);
  for (int64_t k = 0; k < n; k++) {
    const float* yr = y + k * inner;
    const float* gr = g + k * inner;
    if (log)
      for (int64_t i = 0; i < w; i++) acc[i] += gr[i];
    else
      for (int64_t i = 0; i < w; i++) acc[i] += static_cast<double>(gr[i]) * yr[i];
  }
  float a[kInnerBlock];
  for (int64_t i = 0; i < w; i++) a[i] = static_cast<float>(acc[i]);
  for (int64_t k = 0; k < n; k++) {
    const float* yr = y + k * inner;
    const float* gr = g + k * inner;
    float* dr = dx + k * inner;
    if (log) {
      expRange(yr, dr, w);
      for (int64_t i = 0; i < w; i++) dr[i] = gr[i] - dr[i] * a[i];
    } else {
      for (int64_t i = 0; i < w; i++) dr[i] = yr[i] * (gr[i] - a[i]);
    }
  }
}

}  // namespace

void forEachSliceBlock(int64_t outer, int64_t n, int64_t inner,
                       const std::function<void(int64_t, int64_t, int64_t)>& fn) {
  const int64_t blocks = (inner + kInnerBlock - 1) / kInnerBlock;
  const int64_t tasks = outer * blocks;
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o = t / blocks, i0 = (t % blocks) * kInnerBlock;
      fn(o, i0, std::min(inner, i0 + kInnerBlock));
    }
  };
  const int threads = outer * n * inner >= kParallelElements ? numThreads() : 1;
  if (threads <= 1 || tasks <= 1) return run(0, tasks);
  const int64_t chunks = std::min<int64_t>(tasks, int64_t{threads} * 4);
  const int64_t step = (tasks + chunks - 1) / chunks;
  ThreadPool::instance().parallelFor(chunks, threads, [&](int64_t c) {
    run(std::min(tasks, c * step), std::min(tasks, (c + 1) * step));
  });
}

void softmaxForward(int64_t outer, int64_t n, int64_t inner, bool log, const float* x, float* y) {
  if (n == 0) return;
  forEachSliceBlock(outer, n, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    const int64_t base = o * n * inner + i0;
    if (inner == 1)
      forwardRow(n, log, x + base, y + base);
    else
      forwardBlock(n, inner, i1 - i0, log, x + base, y + base);
  });
}

void softmaxBackward(int64_t outer, int64_t n, int64_t inner, bool log, const float* y, const float* g, float* dx) {
  if (n == 0) return;
  forEachSliceBlock(outer, n, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    const int64_t base = o * n * inner + i0;
    if (inner == 1)
      backwardRow(n, log, y + base, g + base, dx + base);
    else
      backwardBlock(n, inner, i1 - i0, log, y + base, g + base, dx + base);
  });
}

void logSumExpForward(int64_t outer, int64_t n, int64_t inner, const float* x, float* y) {
  forEachSliceBlock(outer, n, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    const float* xs = x + o * n * inner + i0;
    float* ys = y + o * inner + i0;
    float t[kInnerBlock];
    if (inner == 1) {
      const float m = sliceMax(n, xs);
      double s = 0;
      for (int64_t k0 = 0; k0 < n; k0 += kInnerBlock) {
        const int64_t len = std::min(kInnerBlock, n - k0);
        for (int64_t k = 0; k < len; k++) t[k] = xs[k0 + k] - m;
        expRange(t, t, len);
        for (int64_t k = 0; k < len; k++) s += t[k];
      }
      ys[0] = static_cast<float>(m + std::log(s));
      return;
    }
    const int64_t w = i1 - i0;
    float m[kInnerBlock];
    double s[kInnerBlock];
    blockMax(n, inner, w, xs, m);
    std::fill(s, s + w, 0.0);
    for (int64_t k = 0; k < n; k++) {
      const float* xr = xs + k * inner;
      for (int64_t i = 0; i < w; i++) t[i] = xr[i] - m[i];
      expRange(t, t, w);
      for (int64_t i = 0; i < w; i++) s[i] += t[i];
    }
    for (int64_t i = 0; i < w; i++) ys[i] = static_cast<float>(m[i] + std::log(s[i]));
  });
}

void logSumExpBackward(int64_t outer, int64_t n, int64_t inner, const float* x, const float* y, const float* g,
                       float* dx) {
  forEachSliceBlock(outer, n, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    const int64_t w = i1 - i0;
    const float* ys = y + o * inner + i0;
    const float* gs = g + o * inner + i0;
    for (int64_t k = 0; k < n; k++) {
      const int64_t row = (o * n + k) * inner + i0;
      const float* xr = x + row;
      float* dr = dx + row;
      if (inner == 1) {
        // One row: the whole of it at once, then one scale.
        for (int64_t j = 0; j < n; j++) dr[j] = xr[j] - ys[0];
        expRange(dr, dr, n);
        const float gv = gs[0];
        for (int64_t j = 0; j < n; j++) dr[j] *= gv;
        return;
      }
      for (int64_t i = 0; i < w; i++) dr[i] = xr[i] - ys[i];
      expRange(dr, dr, w);
      for (int64_t i = 0; i < w; i++) dr[i] *= gs[i];
    }
  });
}

}  // namespace stride
