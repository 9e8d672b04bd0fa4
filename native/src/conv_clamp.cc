// Convolution forward with a fused clamp (see conv_clamp.h).
#include "conv_clamp.h"

#include <algorithm>
#include <cmath>

#include "conv_direct.h"
#include "conv_pointwise.h"
#include "depthwise.h"
#include "elementwise.h"
#include "multiversion.h"

namespace stride {

namespace {

STRIDE_INLINE void clampImpl(float* y, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; i++) y[i] = std::min(std::max(y[i], lo), hi);
}
STRIDE_MULTIVERSION(clampInPlace, clampImpl)

}  // namespace

void conv2dForwardClamped(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                          const float* bias, float* y, float lo, float hi) {
  if (isDepthwise(g)) return depthwiseForward(g, x, w, bias, y, lo, hi);
  // Pointwise convolutions clamp in their kernel's epilogue too (ReLU6 after MobileNet's expansions).
  if (pointwiseForward(g, x, w, packed, bias, nullptr, lo, hi, y)) return;
  // So do direct convolutions (MobileNetV2's stride-2 stem with its ReLU6).
  if (preferDirectConv(g, packed != nullptr) && directConvForward(g, x, w, packed, bias, nullptr, lo, hi, y))
    return;
  const bool noUpperBound = std::isinf(hi) && hi > 0;
  if (lo == 0.0f && noUpperBound) {
    // ReLU: applied by the convolution's own epilogue as it writes each output tile.
    ConvEpilogue e;
    e.bias = bias;
    e.relu = true;
    return conv2dForwardFused(g, x, w, packed, e, y);
  }
  conv2dForwardPacked(g, x, w, packed, bias, y);
  if (std::isinf(lo) && lo < 0 && noUpperBound) return;
  parallelElements(g.batch * g.outChannels * g.outH * g.outW,
                   [&](int64_t b, int64_t e) { clampInPlace(y + b, e - b, lo, hi); });
}

}  // namespace stride
