// A convolution forward with its activation fused: y = clamp(conv(x, w) + bias, lo, hi), which is
// ReLU (lo 0) or ReLU6 (lo 0, hi 6) when inference fusion asks for one after a convolution.
#pragma once

#include "conv.h"

namespace stride {

/**
 * conv2dForwardPacked, then y clamped to [lo, hi] (infinities clamp nothing). Depthwise
 * convolutions clamp in their kernel's epilogue, as they write each output; the other paths clamp
 * in one pass over y after.
 */
void conv2dForwardClamped(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                          const float* bias, float* y, float lo, float hi);

}  // namespace stride
