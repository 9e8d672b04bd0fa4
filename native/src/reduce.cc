#include "reduce.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "multiversion.h"
#include "thread_pool.h"

namespace stride {

namespace {

// The input after dropping size-1 dimensions and merging neighbours of the same kind.
struct Merged {
  std::vector<int64_t> size;     // extent of each merged dimension
  std::vector<int64_t> xStride;  // element stride in x
  std::vector<int64_t> oStride;  // element stride in out (0 for reduced dimensions)
  std::vector<bool> red;
  int64_t outCount = 1;
  int64_t total = 1;
};

Merged merge(const int64_t* shape, const bool* reduced, int nd) {
  Merged m;
  for (int d = 0; d < nd; d++) {
    m.total *= shape[d];
    if (!reduced[d]) m.outCount *= shape[d];
    if (shape[d] == 1) continue;
    if (!m.size.empty() && m.red.back() == reduced[d]) {
      m.size.back() *= shape[d];
    } else {
      m.size.push_back(shape[d]);
      m.red.push_back(reduced[d]);
    }
  }
  const size_t n = m.size.size();
  m.xStride.assign(n, 1);
  m.oStride.assign(n, 0);
  int64_t xs = 1, os = 1;
  for (size_t i = n; i-- > 0;) {
    m.xStride[i] = xs;
    xs *= m.size[i];
    if (!m.red[i]) {
      m.oStride[i] = os;
      os *= m.size[i];
    }
  }
  return m;
}

// acc[t] += x[t] (kept innermost dimension).
STRIDE_INLINE void addRowImpl(double* acc, const float* x, int64_t n) {
  for (int64_t t = 0; t < n; t++) acc[t] += static_cast<double>(x[t]);
}
STRIDE_MULTIVERSION(addRow, addRowImpl)

// *out += sum of a row, in double (reduced innermost dimension).
STRIDE_INLINE void sumRowIntoImpl(const float* x, int64_t n, double* out) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int64_t t = 0; t < n; t++) s += static_cast<double>(x[t]);
  *out += s;
}
STRIDE_MULTIVERSION(sumRowInto, sumRowIntoImpl)

// Accumulate x[first-dimension indices r0..r1) into acc (indexed like out).
void sumWalk(const Merged& m, const float* x, int64_t r0, int64_t r1, double* acc) {
  const int n = static_cast<int>(m.size.size());
  const int64_t inner = m.size[n - 1];
  const bool innerReduced = m.red[n - 1];
  if (n == 1) {
    if (innerReduced)
      sumRowInto(x + r0, r1 - r0, acc);
    else
      addRow(acc + r0, x + r0, r1 - r0);
    return;
  }
  std::vector<int64_t> idx(n - 1, 0);
  idx[0] = r0;
  int64_t xi = r0 * m.xStride[0], oi = r0 * m.oStride[0];
  for (;;) {
    if (innerReduced)
      sumRowInto(x + xi, inner, acc + oi);
    else
      addRow(acc + oi, x + xi, inner);
    int d = n - 2;
    for (; d >= 0; d--) {
      xi += m.xStride[d];
      oi += m.oStride[d];
      const int64_t limit = d == 0 ? r1 : m.size[d];
      if (++idx[d] < limit) break;
      if (d == 0) return;
      xi -= m.xStride[d] * m.size[d];
      oi -= m.oStride[d] * m.size[d];
      idx[d] = 0;
    }
  }
}

void sum(const Merged& m, const float* x, float* out) {
  if (m.size.empty()) {  // every dimension has size 1
    out[0] = x[0];
    return;
  }
  const int64_t first = m.size[0];
  const int threads = m.total >= (1 << 16) ? numThreads() : 1;
  ThreadPool& pool = ThreadPool::instance();
  if (threads > 1 && !m.red[0] && first >= threads) {
    // Split the leading kept dimension: tasks own disjoint outputs.
    std::vector<double> acc(m.outCount, 0.0);
    const int64_t chunks = std::min<int64_t>(first, threads * 4);
    const int64_t step = (first + chunks - 1) / chunks;
    pool.parallelFor(chunks, threads, [&](int64_t c) {
      const int64_t r0 = c * step, r1 = std::min(first, r0 + step);
      if (r0 < r1) sumWalk(m, x, r0, r1, acc.data());
    });
    for (int64_t i = 0; i < m.outCount; i++) out[i] = static_cast<float>(acc[i]);
    return;
  }
  if (threads > 1 && m.red[0] && first >= threads && m.outCount <= (1 << 16)) {
    // Split the leading reduced dimension: each task sums into its own accumulator.
    std::vector<std::vector<double>> partial(threads, std::vector<double>(m.outCount, 0.0));
    const int64_t step = (first + threads - 1) / threads;
    pool.parallelFor(threads, threads, [&](int64_t c) {
      const int64_t r0 = c * step, r1 = std::min(first, r0 + step);
      if (r0 < r1) sumWalk(m, x, r0, r1, partial[c].data());
    });
    for (int64_t i = 0; i < m.outCount; i++) {
      double s = 0.0;
      for (int t = 0; t < threads; t++) s += partial[t][i];
      out[i] = static_cast<float>(s);
    }
    return;
  }
  std::vector<double> acc(m.outCount, 0.0);
  sumWalk(m, x, 0, first, acc.data());
  for (int64_t i = 0; i < m.outCount; i++) out[i] = static_cast<float>(acc[i]);
}

// Max or min over the middle of [outer, r, inner] with the reference's rule: the first extreme
// wins, and a NaN wins and stays.
void extreme(bool isMax, const float* x, int64_t outer, int64_t r, int64_t inner, float* out, int32_t* indices) {
  const int threads = outer * r * inner >= (1 << 16) && outer >= 2 ? numThreads() : 1;
  ThreadPool::instance().parallelFor(outer, threads, [&](int64_t o) {
    const float* base = x + o * r * inner;
    float* ob = out + o * inner;
    int32_t* ib = indices ? indices + o * inner : nullptr;
    for (int64_t i = 0; i < inner; i++) {
      ob[i] = base[i];
      if (ib) ib[i] = 0;
    }
    for (int64_t k = 1; k < r; k++) {
      const float* row = base + k * inner;
      for (int64_t i = 0; i < inner; i++) {
        const float best = ob[i], v = row[i];
        if (best != best) continue;
        if (v != v || (isMax ? v > best : v < best)) {
          ob[i] = v;
          if (ib) ib[i] = static_cast<int32_t>(k);
        }
      }
    }
  });
}

}  // namespace

bool reduce(ReduceOp op, const float* x, const int64_t* shape, const bool* reduced, int nd, float* out,
            int32_t* indices) {
  Merged m = merge(shape, reduced, nd);
  if (m.total == 0) {
    if (op == ReduceOp::Sum) std::fill(out, out + m.outCount, 0.0f);
    return op == ReduceOp::Sum;
  }
  if (op == ReduceOp::Sum) {
    sum(m, x, out);
    return true;
  }
  // Max/min natively only when at most one merged reduced dimension remains.
  int reducedDims = 0;
  int64_t outer = 1, r = 1, inner = 1;
  for (size_t i = 0; i < m.size.size(); i++) {
    if (m.red[i]) {
      reducedDims++;
      r = m.size[i];
    } else if (reducedDims == 0) {
      outer *= m.size[i];
    } else {
      inner *= m.size[i];
    }
  }
  if (reducedDims > 1) return false;
  extreme(op == ReduceOp::Max, x, outer, r, inner, out, indices);
  return true;
}

}  // namespace stride
