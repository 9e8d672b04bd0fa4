// Winograd F(4x4, 3x3) convolution for 3x3, stride-1, undilated, ungrouped float32 convolutions:
// each 4x4 block of outputs comes from a 6x6 block of inputs with 36 multiplications per
// (input channel, output channel) pair instead of 144, so the GEMMs do 4x fewer flops than the
// implicit-GEMM path.
#pragma once

#include "conv.h"

namespace stride {

/** Which algorithm convolutions that Winograd can run use. */
enum class ConvAlgorithm {
  Auto = 0,      // Winograd where measured faster than the GEMM paths
  Gemm = 1,      // never Winograd
  Winograd = 2,  // Winograd wherever it applies (tests use this to reach small shapes)
};

/** Choose the algorithm from now on (process-wide). */
void setConvAlgorithm(ConvAlgorithm a);

/** The algorithm in use. */
ConvAlgorithm convAlgorithm();

/** Whether g has the shape Winograd F(4x4, 3x3) computes: 3x3, stride 1, dilation 1, one group. */
bool winogradApplies(const ConvGeometry& g);

/** Whether the forward convolution g should run through winogradForward under the current algorithm. */
bool useWinograd(const ConvGeometry& g);

/**
 * y = conv(x, w) + bias (bias may be null) by Winograd F(4x4, 3x3), any padding (negative too,
 * as the transposed convolution of the backward pass needs). g must pass winogradApplies.
 */
void winogradForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
/** winogradForward with the epilogue e (bias, residual, ReLU) applied as each output tile is written. */
void winogradForward(const ConvGeometry& g, const float* x, const float* w, const ConvEpilogue& e, float* y);

}  // namespace stride
