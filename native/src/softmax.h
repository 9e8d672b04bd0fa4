// Softmax, log-softmax and logSumExp kernels (float32) along the middle axis of an [outer, n, inner] view,
// element (o, k, i) at (o·n + k)·inner + i, with their backwards; the same definitions as the
// TypeScript reference (src/backend/reference/softmax.ts), against which test/native/softmax.test.ts
// checks them.
#pragma once

#include <cstdint>
#include <functional>

namespace stride {

/** y = softmax(x), or log(softmax(x)) when `log`, along the middle axis. */
void softmaxForward(int64_t outer, int64_t n, int64_t inner, bool log, const float* x, float* y);

/** dx from the forward's output y and the output gradient g: y·(g − Σ g·y), or g − e^y·Σ g when `log`. */
void softmaxBackward(int64_t outer, int64_t n, int64_t inner, bool log, const float* y, const float* g, float* dx);

/** y[o·inner + i] = log Σₖ e^x[o, k, i] (y holds outer·inner values; the maximum is taken as softmax's). */
void logSumExpForward(int64_t outer, int64_t n, int64_t inner, const float* x, float* y);

/** dx[o, k, i] = g[o·inner + i] · e^(x[o, k, i] − y[o·inner + i]) (overwrites dx). */
void logSumExpBackward(int64_t outer, int64_t n, int64_t inner, const float* x, const float* y, const float* g,
                       float* dx);

/**
 * Run fn(o, i0, i1) over every outer slice o and block [i0, i1) of the inner positions, spread over
 * the thread pool when the tensor is large enough to gain; blocks are independent (shared by the
 * class-loss kernels, which see their scores the same way).
 */
void forEachSliceBlock(int64_t outer, int64_t n, int64_t inner,
                       const std::function<void(int64_t, int64_t, int64_t)>& fn);

}  // namespace stride
