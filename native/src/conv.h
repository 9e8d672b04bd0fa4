// 2-D convolution kernels (NCHW, float32): forward, gradient with respect to the input, and
// gradient with respect to the weight, for any stride, padding, dilation and groups.
#pragma once

#include <cstdint>
#include <vector>

namespace stride {

/** Geometry of one convolution, padding already resolved (the Backend's Conv2dParams). */
struct ConvGeometry {
  int64_t batch, inChannels, inH, inW, outChannels, kH, kW;
  int64_t strideH, strideW, padTop, padLeft, dilationH, dilationW, groups, outH, outW;
};

/**
 * What a forward convolution applies to every output value as it writes it, in this order: + bias[o]
 * (bias may be null), + residual at the same index (a tensor of y's shape, or null), then ReLU. The
 * GEMM and Winograd paths apply it while the outputs are still in cache (ResNet's conv + batch norm
 * + shortcut add + ReLU as one pass).
 */
struct ConvEpilogue {
  const float* bias = nullptr;
  const float* residual = nullptr;
  bool relu = false;
};

/** y = conv(x, w) + bias (bias may be null). */
void conv2dForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
/**
 * A convolution's weights prepared once for many forwards: each group's filters as the GEMM
 * paths' A operand (packAllA's layout for micro-kernel rows `mr`), group after group, made by the
 * first forward that reads them (from the weights that call passes). Depthwise and Winograd
 * forwards read the weights as they are: transforming all weights for Winograd once and reading
 * them back was measured slower at batch 1 (see conv2dForwardPacked).
 */
struct PackedConvWeights {
  int64_t outChannels = 0, kk = 0, groups = 0;  // the weight shape (kk = inChannels/groups * kH * kW)
  int mr = 0;                                   // 0 until packed
  std::vector<float> gemm;
  // Strided convolutions run through the input's phases (conv.cc, forwardPhases) read the weights
  // reordered to their tap table and packed: kept here the same way, phasesMr 0 until packed.
  int phasesMr = 0;
  std::vector<float> phases;
  std::vector<float> pointwise;  // the pointwise kernel's weight panels (conv_pointwise.cc), once used
  std::vector<float> direct;     // the direct kernel's weight vectors (conv_direct.cc), once used
};

/** Prepared weights for convolutions of g's weight shape and groups (any input size); packs nothing yet. */
PackedConvWeights conv2dPrepareWeights(const ConvGeometry& g);

/**
 * conv2dForward reading packed weights from `packed` (or null) where its path packs them, packing
 * them from w on first use (or again after the instruction set changed). w must hold the values
 * they were packed from.
 */
void conv2dForwardPacked(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                         const float* bias, float* y);
/** conv2dForwardPacked (packed may be null) with the whole epilogue e applied to y. */
void conv2dForwardFused(const ConvGeometry& g, const float* x, const float* w, PackedConvWeights* packed,
                        const ConvEpilogue& e, float* y);

/** dx = gradient with respect to the input (overwrites dx). */
void conv2dBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
/** dw = gradient with respect to the weight (overwrites dw). */
void conv2dBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace stride
