// Depthwise convolutions: one input and one output channel per group (groups == in channels ==
// out channels), as MobileNet's 3x3 and 5x5 layers are. They do too little work per weight for
// a GEMM, so they run as direct loops over each channel's plane.
#pragma once

#include <limits>

#include "conv.h"

namespace stride {

/** Whether g is depthwise: every group holds one input and one output channel. */
inline bool isDepthwise(const ConvGeometry& g) {
  return g.groups > 1 && g.groups == g.inChannels && g.groups == g.outChannels;
}

/**
 * y = clamp(depthwise conv(x, w) + bias, lo, hi) (bias may be null); g must be depthwise. The
 * clamp fuses ReLU (lo 0) or ReLU6 (lo 0, hi 6); the defaults leave y unclamped.
 */
void depthwiseForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                      float lo = -std::numeric_limits<float>::infinity(),
                      float hi = std::numeric_limits<float>::infinity());
/** dx = gradient with respect to the input (overwrites dx); g must be depthwise. */
void depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
/** dw = gradient with respect to the weight (overwrites dw); g must be depthwise. */
void depthwiseBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace stride
