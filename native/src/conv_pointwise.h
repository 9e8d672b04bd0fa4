// Pointwise (1x1, stride 1, unpadded, one group) convolution forward for NCHW inputs:
// y[n, o, p] = sum over k of w[o, k] * x[n, k, p], with the whole epilogue applied in registers.
#pragma once

#include "conv.h"

namespace stride {

/** Whether g is a pointwise convolution this kernel computes: 1x1, stride 1, no padding, one group. */
bool pointwiseApplies(const ConvGeometry& g);

/**
 * y = clamp(conv(x, w) + bias + residual, lo, hi) for a pointwise g (bias and residual may be
 * null; infinite bounds clamp nothing) on AVX-512 or AVX2; returns false, writing nothing, where
 * it does not apply (or on another instruction set), at any batch. Weights are arranged into `packed->pointwise`
 * on first use (packed may be null: they are arranged into scratch on every call).
 */
bool pointwiseForward(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                      const float* bias, const float* residual, float lo, float hi, float* y);

}  // namespace stride
