// The WebAssembly module's entry points: a plain C ABI over the same kernels the N-API addon
// (native/src/addon.cc) exposes. Every pointer is an offset into the module's memory, where the
// TypeScript side (src/backend/wasm/) places the arrays; geometry arrives as doubles in the same
// slot orders as the addon's (param_layouts.h for conv and pool). The wrapper validates dtypes
// and sizes before calling, as it does for the addon.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "activation.h"
#include "pointwise_loss.h"
#include "batch_norm.h"
#include "class_loss.h"
#include "conv.h"
#include "conv_clamp.h"
#include "elementwise.h"
#include "gemm.h"
#include "param_layouts.h"
#include "pool.h"
#include "reduce.h"
#include "roi.h"
#include "softmax.h"
#include "thread_pool.h"
#include "winograd.h"

#define STRIDE_EXPORT(name) extern "C" __attribute__((export_name(#name)))

using namespace stride;

namespace {

ChannelGeometry channels(const double* p) {
  return {static_cast<int64_t>(p[0]), static_cast<int64_t>(p[1]), static_cast<int64_t>(p[2])};
}

RoiGeometry roi(const double* d) {
  auto i = [&](int k) { return static_cast<int64_t>(d[k]); };
  return {i(0), i(1), i(2), i(3), i(4), i(5), i(6), d[7], i(8), d[9] != 0};
}

ClassLossGeometry classLoss(const double* d) {
  return {static_cast<int64_t>(d[0]), static_cast<int64_t>(d[1]), static_cast<int64_t>(d[2]), d[3], d[4] != 0};
}

std::string joined(const char* const* names, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i++) {
    if (i) out += ',';
    out += names[i];
  }
  return out;
}

}  // namespace

// libc++ registers destructors of thread_local objects (the kernels' per-thread scratch) through
// this; wasi-libc has no threads and does not provide it. The module's one thread lives as long as
// the module, so those destructors never need to run.
extern "C" int __cxa_thread_atexit(void (*)(void*), void*, void*) { return 0; }

// ----- Memory for the arrays the wrapper passes -----

/** `bytes` of 16-byte-aligned memory (null when the module cannot grow further). */
STRIDE_EXPORT(stride_alloc) void* strideAlloc(uint32_t bytes) {
  return std::aligned_alloc(16, (static_cast<size_t>(bytes) + 15) & ~static_cast<size_t>(15));
}

STRIDE_EXPORT(stride_free) void strideFree(void* p) { std::free(p); }

/** "conv" (kind 0) or "pool" (kind 1) field names in slot order, comma-separated. */
STRIDE_EXPORT(stride_param_layout) const char* strideParamLayout(int kind) {
  static const std::string conv = joined(kConvFields, kConvFieldCount);
  static const std::string pool = joined(kPoolFields, kPoolFieldCount);
  return kind == 0 ? conv.c_str() : pool.c_str();
}

// ----- Kernels -----

/** params = [batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate]. */
STRIDE_EXPORT(stride_gemm) void strideGemm(const double* p, const float* a, const float* b, float* c) {
  const int64_t batch = p[0], m = p[1], n = p[2], k = p[3];
  const bool transA = p[4] != 0, transB = p[5] != 0, acc = p[9] != 0;
  const int64_t sA = p[6], sB = p[7], sC = p[8];
  for (int64_t i = 0; i < batch; i++)
    denseGemm(m, n, k, a + i * sA, transA, b + i * sB, transB, c + i * sC, acc, numThreads());
}

STRIDE_EXPORT(stride_conv2d_forward)
void strideConv2dForward(const double* p, const float* x, const float* w, const float* bias, float* y) {
  conv2dForward(convFromSlots(p), x, w, bias, y);
}

/** Prepared weights (conv2dPrepareWeights) owned by the caller until stride_conv2d_packed_free. */
STRIDE_EXPORT(stride_conv2d_prepare_weights) PackedConvWeights* strideConv2dPrepareWeights(const double* p) {
  return new PackedConvWeights(conv2dPrepareWeights(convFromSlots(p)));
}

STRIDE_EXPORT(stride_conv2d_packed_free) void strideConv2dPackedFree(PackedConvWeights* packed) { delete packed; }

STRIDE_EXPORT(stride_conv2d_forward_packed)
void strideConv2dForwardPacked(const double* p, const float* x, const float* w, PackedConvWeights* packed,
                               const float* bias, float* y, float lo, float hi) {
  conv2dForwardClamped(convFromSlots(p), x, w, packed, bias, y, lo, hi);
}

/**
 * conv2dForwardFused: the forward with its epilogue (bias, residual sum, ReLU when relu != 0)
 * applied as each output tile is written. packed may be null; bias and residual may be null.
 */
STRIDE_EXPORT(stride_conv2d_forward_fused)
void strideConv2dForwardFused(const double* p, const float* x, const float* w, PackedConvWeights* packed,
                              const float* bias, const float* residual, int relu, float* y) {
  ConvEpilogue e;
  e.bias = bias;
  e.residual = residual;
  e.relu = relu != 0;
  conv2dForwardFused(convFromSlots(p), x, w, packed, e, y);
}

STRIDE_EXPORT(stride_conv2d_backward_data)
void strideConv2dBackwardData(const double* p, const float* dy, const float* w, float* dx) {
  conv2dBackwardData(convFromSlots(p), dy, w, dx);
}

STRIDE_EXPORT(stride_conv2d_backward_filter)
void strideConv2dBackwardFilter(const double* p, const float* x, const float* dy, float* dw) {
  conv2dBackwardFilter(convFromSlots(p), x, dy, dw);
}

/** 0 = auto, 1 = GEMM only, 2 = Winograd wherever it applies (see winograd.h). */
STRIDE_EXPORT(stride_set_conv_algorithm) void strideSetConvAlgorithm(int algorithm) {
  setConvAlgorithm(static_cast<ConvAlgorithm>(algorithm));
}

STRIDE_EXPORT(stride_max_pool2d_forward)
void strideMaxPool2dForward(const double* p, const float* x, float* y, int32_t* indices) {
  maxPool2dForward(poolFromSlots(p), x, y, indices);
}

/** 1, or 0 when an index lies outside its input plane. */
STRIDE_EXPORT(stride_max_pool2d_backward)
int strideMaxPool2dBackward(const double* p, const float* dy, const int32_t* indices, float* dx) {
  return maxPool2dBackward(poolFromSlots(p), dy, indices, dx) ? 1 : 0;
}

STRIDE_EXPORT(stride_avg_pool2d_forward) void strideAvgPool2dForward(const double* p, const float* x, float* y) {
  avgPool2dForward(poolFromSlots(p), x, y);
}

STRIDE_EXPORT(stride_avg_pool2d_backward) void strideAvgPool2dBackward(const double* p, const float* dy, float* dx) {
  avgPool2dBackward(poolFromSlots(p), dy, dx);
}

STRIDE_EXPORT(stride_batch_norm_stats)
void strideBatchNormStats(const double* p, const float* x, double* mean, double* variance) {
  batchNormStats(channels(p), x, mean, variance);
}

STRIDE_EXPORT(stride_batch_norm_forward)
void strideBatchNormForward(const double* p, const float* x, const double* scale, const double* shift, float* y) {
  batchNormForward(channels(p), x, scale, shift, y);
}

STRIDE_EXPORT(stride_batch_norm_backward_sums)
void strideBatchNormBackwardSums(const double* p, const float* dy, const float* x, const double* mean, double* sumDy,
                                 double* sumDyXc) {
  batchNormBackwardSums(channels(p), dy, x, mean, sumDy, sumDyXc);
}

STRIDE_EXPORT(stride_batch_norm_backward_data)
void strideBatchNormBackwardData(const double* p, const float* dy, const float* x, const double* dyScale,
                                 const double* xScale, const double* shift, float* dx) {
  batchNormBackwardData(channels(p), dy, x, dyScale, xScale, shift, dx);
}

/** op: a UnaryOp code (elementwise.h); the wrapper checks it. */
STRIDE_EXPORT(stride_unary) void strideUnary(int op, const float* x, float* y, int32_t n, float alpha) {
  unary(static_cast<UnaryOp>(op), x, y, n, alpha);
}

/** geometry = [rank, outShape..., aStrides..., bStrides...]. */
STRIDE_EXPORT(stride_binary)
void strideBinary(int op, const float* a, const float* b, float* out, const double* geometry) {
  const int nd = static_cast<int>(geometry[0]);
  std::unique_ptr<int64_t[]> g(new int64_t[3 * nd + 1]);
  for (int i = 0; i < 3 * nd; i++) g[i] = static_cast<int64_t>(geometry[1 + i]);
  binary(static_cast<BinaryOp>(op), a, g.get() + nd, b, g.get() + 2 * nd, out, g.get(), nd);
}

/** geometry = [rank, shape..., reducedFlags...]; returns 0 (writing nothing) for a case left to the reference. */
STRIDE_EXPORT(stride_reduce)
int strideReduce(int op, const float* x, const double* geometry, float* out, int32_t* indices) {
  const int nd = static_cast<int>(geometry[0]);
  std::unique_ptr<int64_t[]> shape(new int64_t[nd + 1]);
  std::unique_ptr<bool[]> reduced(new bool[nd + 1]);
  for (int d = 0; d < nd; d++) {
    shape[d] = static_cast<int64_t>(geometry[1 + d]);
    reduced[d] = geometry[1 + nd + d] != 0;
  }
  return reduce(static_cast<ReduceOp>(op), x, shape.get(), reduced.get(), nd, out, indices) ? 1 : 0;
}

STRIDE_EXPORT(stride_activation_count) int strideActivationCount() { return activationCount(); }

STRIDE_EXPORT(stride_activation_name) const char* strideActivationName(int code) { return activationName(code); }

STRIDE_EXPORT(stride_activation)
void strideActivation(int code, const float* x, float* y, int32_t n, float p0, float p1) {
  activationForward(code, x, y, n, p0, p1);
}

STRIDE_EXPORT(stride_activation_grad)
void strideActivationGrad(int code, const float* x, const float* y, const float* g, float* dx, int32_t n, float p0,
                          float p1) {
  activationBackward(code, x, y, g, dx, n, p0, p1);
}

STRIDE_EXPORT(stride_pointwise_loss_count) int stridePointwiseLossCount() { return pointwiseLossCount(); }

STRIDE_EXPORT(stride_pointwise_loss_name) const char* stridePointwiseLossName(int code) {
  return pointwiseLossName(code);
}

STRIDE_EXPORT(stride_pointwise_loss)
void stridePointwiseLoss(int code, const float* x, const float* t, const float* weight, const float* posWeight,
                         double param, double* losses, int32_t n) {
  pointwiseLossForward(code, x, t, weight, posWeight, param, losses, n);
}

STRIDE_EXPORT(stride_pointwise_loss_backward)
void stridePointwiseLossBackward(int code, const float* x, const float* t, const float* weight,
                                 const float* posWeight, double param, const double* scales, float* dx, float* dt,
                                 int32_t n) {
  pointwiseLossBackward(code, x, t, weight, posWeight, param, scales, dx, dt, n);
}

/** params = [outer, n, inner, log (0/1)], as the addon's softmax. */
STRIDE_EXPORT(stride_softmax) void strideSoftmax(const double* p, const float* x, float* y) {
  softmaxForward(static_cast<int64_t>(p[0]), static_cast<int64_t>(p[1]), static_cast<int64_t>(p[2]), p[3] != 0, x, y);
}

STRIDE_EXPORT(stride_softmax_backward)
void strideSoftmaxBackward(const double* p, const float* y, const float* g, float* dx) {
  softmaxBackward(static_cast<int64_t>(p[0]), static_cast<int64_t>(p[1]), static_cast<int64_t>(p[2]), p[3] != 0, y, g,
                  dx);
}

STRIDE_EXPORT(stride_log_sum_exp) void strideLogSumExp(const double* p, const float* x, float* y) {
  logSumExpForward(static_cast<int64_t>(p[0]), static_cast<int64_t>(p[1]), static_cast<int64_t>(p[2]), x, y);
}

STRIDE_EXPORT(stride_log_sum_exp_backward)
void strideLogSumExpBackward(const double* p, const float* x, const float* y, const float* g, float* dx) {
  logSumExpBackward(static_cast<int64_t>(p[0]), static_cast<int64_t>(p[1]), static_cast<int64_t>(p[2]), x, y, g, dx);
}

/** params = [outer, classes, inner, labelSmoothing, fromLogits (0/1)], as the addon's class losses. */
STRIDE_EXPORT(stride_nll_loss)
void strideNllLoss(const double* p, const float* logp, const int32_t* target, const double* weight, double* losses) {
  nllLoss(classLoss(p), logp, target, weight, losses);
}

STRIDE_EXPORT(stride_nll_loss_backward)
void strideNllLossBackward(const double* p, const float* logp, const int32_t* target, const double* weight,
                           const double* scales, float* dx) {
  nllLossBackward(classLoss(p), logp, target, weight, scales, dx);
}

STRIDE_EXPORT(stride_soft_target_cross_entropy)
void strideSoftTargetCrossEntropy(const double* p, const float* logp, const float* target, const double* weight,
                                  double* losses) {
  softTargetCrossEntropy(classLoss(p), logp, target, weight, losses);
}

STRIDE_EXPORT(stride_soft_target_cross_entropy_backward)
void strideSoftTargetCrossEntropyBackward(const double* p, const float* logp, const float* target,
                                          const double* weight, const double* scales, float* dx, float* dt) {
  softTargetCrossEntropyBackward(classLoss(p), logp, target, weight, scales, dx, dt);
}

STRIDE_EXPORT(stride_roi_align_forward)
void strideRoiAlignForward(const double* p, const float* x, const double* rois, float* y) {
  roiAlignForward(roi(p), x, rois, y);
}

STRIDE_EXPORT(stride_roi_align_backward)
void strideRoiAlignBackward(const double* p, const float* dy, const double* rois, float* dx) {
  roiAlignBackward(roi(p), dy, rois, dx);
}

STRIDE_EXPORT(stride_roi_pool_forward)
void strideRoiPoolForward(const double* p, const float* x, const double* rois, float* y, int32_t* argmax) {
  roiPoolForward(roi(p), x, rois, y, argmax);
}

STRIDE_EXPORT(stride_roi_pool_backward)
void strideRoiPoolBackward(const double* p, const float* dy, const double* rois, const int32_t* argmax, float* dx) {
  roiPoolBackward(roi(p), dy, rois, argmax, dx);
}
