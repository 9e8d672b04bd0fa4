// Batch-normalization kernels. Work splits into tasks that each cover one channel over a range of
// the batch (or, for large planes, one piece of one plane), so that any shape spreads over the
// pool: [N, C, H, W] with many channels, a single huge plane, or [N, C] with a long batch. Sums
// run in double per task and are combined per channel in task order, so results do not depend on
// the thread count.
#include "batch_norm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "multiversion.h"
#include "thread_pool.h"

namespace stride {

namespace {

// Elements per task: large enough that the hand-off (about a microsecond) is noise, small enough
// that a ResNet layer at batch 1 still yields tasks for every thread.
constexpr int64_t kGrain = 1 << 14;
// Below this many elements the whole op stays on the calling thread (memory bound, tiny).
constexpr int64_t kParallelElements = 1 << 15;

// How the [batch, channels, spatial] data is cut into tasks; tasks are numbered channel-major.
struct Split {
  int64_t n, c, s;
  int64_t parts, partLen;        // pieces of each plane and their length
  int64_t batchChunks, batchLen;  // runs of samples per task

  explicit Split(const ChannelGeometry& g) : n(g.batch), c(g.channels), s(g.spatial) {
    if (s >= kGrain) {
      parts = (s + kGrain - 1) / kGrain;
      partLen = (s + parts - 1) / parts;
      batchChunks = n;
      batchLen = 1;
    } else {
      parts = 1;
      partLen = s;
      batchLen = std::max<int64_t>(1, kGrain / std::max<int64_t>(s, 1));
      batchChunks = (n + batchLen - 1) / batchLen;
    }
  }

  int64_t perChannel() const { return batchChunks * parts; }
  int64_t tasks() const { return c * perChannel(); }

  // fn(channel, offset, length) for each contiguous run of task t.
  template <typename Fn>
  void forEachRun(int64_t t, Fn&& fn) const {
    const int64_t ch = t / perChannel(), rem = t % perChannel();
    const int64_t i0 = (rem / parts) * batchLen, i1 = std::min(n, i0 + batchLen);
    const int64_t k0 = (rem % parts) * partLen, k1 = std::min(s, k0 + partLen);
    if (k1 <= k0) return;
    for (int64_t i = i0; i < i1; i++) fn(ch, (i * c + ch) * s + k0, k1 - k0);
  }
};

template <typename Fn>
void runTasks(const Split& sp, Fn&& fn) {
  const int64_t tasks = sp.tasks();
  const int threads = sp.n * sp.c * sp.s >= kParallelElements ? numThreads() : 1;
  if (threads <= 1 || tasks <= 1) {
    for (int64_t t = 0; t < tasks; t++) fn(t);
    return;
  }
  ThreadPool::instance().parallelFor(tasks, threads, fn);
}

// *s1 += sum(x - k), *s2 += sum((x - k)^2), in double.
STRIDE_INLINE void shiftedSumsImpl(const float* x, int64_t len, double k, double* s1, double* s2) {
  double a = 0.0, b = 0.0;
#pragma omp simd reduction(+ : a, b)
  for (int64_t t = 0; t < len; t++) {
    const double d = static_cast<double>(x[t]) - k;
    a += d;
    b += d * d;
  }
  *s1 += a;
  *s2 += b;
}
STRIDE_MULTIVERSION(shiftedSums, shiftedSumsImpl)

// *s1 += sum(dy), *s2 += sum(dy * (x - mu)), in double.
STRIDE_INLINE void gradSumsImpl(const float* dy, const float* x, int64_t len, double mu, double* s1, double* s2) {
  double a = 0.0, b = 0.0;
#pragma omp simd reduction(+ : a, b)
  for (int64_t t = 0; t < len; t++) {
    const double g = static_cast<double>(dy[t]);
    a += g;
    b += g * (static_cast<double>(x[t]) - mu);
  }
  *s1 += a;
  *s2 += b;
}
STRIDE_MULTIVERSION(gradSums, gradSumsImpl)

// y = x * a + b.
STRIDE_INLINE void affineRowImpl(const float* x, int64_t len, float a, float b, float* y) {
#pragma omp simd
  for (int64_t t = 0; t < len; t++) y[t] = x[t] * a + b;
}
STRIDE_MULTIVERSION(affineRow, affineRowImpl)

// dx = dy * a + x * b + c.
STRIDE_INLINE void affine2RowImpl(const float* dy, const float* x, int64_t len, float a,
                                  float b, float c, float* dx) {
#pragma omp simd
  for (int64_t t = 0; t < len; t++) dx[t] = dy[t] * a + x[t] * b + c;
}
STRIDE_MULTIVERSION(affine2Row, affine2RowImpl)

// Two per-channel sums: run(ch, off, len, &a, &b) adds the contributions of one run of a channel.
// Each task sums its runs, then the tasks' partial sums are combined channel by channel in task
// order, so the result does not depend on the thread count.
template <typename Run>
void channelSums(const ChannelGeometry& g, const Split& sp, Run run, double* outA, double* outB) {
  std::vector<double> s1(sp.tasks()), s2(sp.tasks());
  runTasks(sp, [&](int64_t t) {
    double a = 0.0, b = 0.0;
    sp.forEachRun(t, [&](int64_t ch, int64_t off, int64_t len) { run(ch, off, len, &a, &b); });
    s1[t] = a;
    s2[t] = b;
  });
  const int64_t per = sp.perChannel();
  for (int64_t ch = 0; ch < g.channels; ch++) {
    double a = 0.0, b = 0.0;
    for (int64_t t = ch * per; t < (ch + 1) * per; t++) {
      a += s1[t];
      b += s2[t];
    }
    outA[ch] = a;
    outB[ch] = b;
  }
}

}  // namespace

void batchNormStats(const ChannelGeometry& g, const float* x, double* mean, double* variance) {
  const int64_t m = g.batch * g.spatial;
  if (m == 0) {
    std::fill(mean, mean + g.channels, std::numeric_limits<double>::quiet_NaN());
    std::fill(variance, variance + g.channels, std::numeric_limits<double>::quiet_NaN());
    return;
  }
  const Split sp(g);
  // One pass over the data: sums of x - k and (x - k)^2 with k the channel's first element. The
  // shift keeps E[d^2] - E[d]^2 from cancelling when the mean is large against the spread.
  std::vector<double> sd(g.channels), sd2(g.channels);
  channelSums(
      g, sp,
      [&](int64_t ch, int64_t off, int64_t len, double* a, double* b) {
        shiftedSums(x + off, len, static_cast<double>(x[ch * g.spatial]), a, b);
      },
      sd.data(), sd2.data());
  for (int64_t ch = 0; ch < g.channels; ch++) {
    const double d = sd[ch] / static_cast<double>(m);
    mean[ch] = static_cast<double>(x[ch * g.spatial]) + d;
    variance[ch] = std::max(0.0, sd2[ch] / static_cast<double>(m) - d * d);
  }
}

void batchNormForward(const ChannelGeometry& g, const float* x, const double* scale, const double* shift,
                      float* y) {
  const Split sp(g);
  runTasks(sp, [&](int64_t t) {
    sp.forEachRun(t, [&](int64_t ch, int64_t off, int64_t len) {
      affineRow(x + off, len, static_cast<float>(scale[ch]), static_cast<float>(shift[ch]), y + off);
    });
  });
}

void batchNormBackwardSums(const ChannelGeometry& g, const float* dy, const float* x, const double* mean,
                           double* sumDy, double* sumDyXc) {
  channelSums(
      g, Split(g),
      [&](int64_t ch, int64_t off, int64_t len, double* a, double* b) {
        gradSums(dy + off, x + off, len, mean[ch], a, b);
      },
      sumDy, sumDyXc);
}

void batchNormBackwardData(const ChannelGeometry& g, const float* dy, const float* x, const double* dyScale,
                           const double* xScale, const double* shift, float* dx) {
  const Split sp(g);
  runTasks(sp, [&](int64_t t) {
    sp.forEachRun(t, [&](int64_t ch, int64_t off, int64_t len) {
      affine2Row(dy + off, x + off, len, static_cast<float>(dyScale[ch]), static_cast<float>(xScale[ch]),
                 static_cast<float>(shift[ch]), dx + off);
    });
  });
}

}  // namespace stride
