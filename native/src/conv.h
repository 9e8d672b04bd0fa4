// 2-D convolution kernels (NCHW, float32): forward, gradient with respect to the input, and
// gradient with respect to the weight, for any stride, padding, dilation and groups.
#pragma once

#include <cstdint>

namespace stride {

/** Geometry of one convolution, padding already resolved (the Backend's Conv2dParams). */
struct ConvGeometry {
  int64_t batch, inChannels, inH, inW, outChannels, kH, kW;
  int64_t strideH, strideW, padTop, padLeft, dilationH, dilationW, groups, outH, outW;
};

/** y = conv(x, w) + bias (bias may be null). */
void conv2dForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
/** dx = gradient with respect to the input (overwrites dx). */
void conv2dBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
/** dw = gradient with respect to the weight (overwrites dw). */
void conv2dBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace stride
