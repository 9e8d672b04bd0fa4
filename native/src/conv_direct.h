// Direct convolution forward with output channels in vector lanes (AVX-512), for NCHW tensors:
// y[n, o, oy, ox] = sum over (c, ky, kx) of w[o, c, ky, kx] * x[n, c, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw],
// with the whole epilogue applied as the outputs are written. Any stride, dilation and padding.
#pragma once

#include "conv.h"

namespace stride {

/** Whether the direct kernel computes g at all here (AVX-512, one group); says nothing of speed. */
bool directConvApplies(const ConvGeometry& g);

/**
 * y = clamp(conv(x, w) + bias + residual, lo, hi) (bias and residual may be null; infinite bounds
 * clamp nothing) by direct convolution; returns false, writing nothing, where directConvApplies is
 * false. Weights are arranged into `packed->direct` on first use (packed may be null: they are
 * arranged into scratch on every call).
 */
bool directConvForward(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                       const float* bias, const float* residual, float lo, float hi, float* y);

/**
 * Whether conv2dForwardFused (and the clamped forward) should take the direct kernel for g: the
 * strided layers, where it was measured faster than the phase planes + indirect GEMM path (with
 * unprepared weights only where a call has enough output pixels to pay for arranging them).
 */
bool preferDirectConv(const ConvGeometry& g, bool prepared);

}  // namespace stride
