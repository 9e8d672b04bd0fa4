// Direct convolutions for layers with few channels (the 3 to 32 channels of LeNet- and CIFAR-style
// nets), where the GEMM micro-kernels fill few of their rows and pack more than they multiply.
#pragma once

#include "conv.h"

namespace stride {

/**
 * Whether smallChannelsForward takes g: AVX-512, one group, stride and dilation 1, 4 to 32 output
 * channels, and output rows that fill at least 60% of the 16-lane vectors they take.
 */
bool smallChannelsForwardApplies(const ConvGeometry& g);

/**
 * y = conv(x, w) with the epilogue e (or null) applied as y is written, by direct convolution:
 * every output channel of a panel stays in registers over 2 to 4 vectors of 16 output pixels
 * while the taps stream past (each call repacks the weights of its panels). Returns false (and
 * writes nothing) when it does not apply. conv.cc leaves forwards with prepared weights
 * (PackedConvWeights) to the paths that read the packed copy.
 */
bool smallChannelsForward(const ConvGeometry& g, const float* x, const float* w, const ConvEpilogue* e, float* y);

/**
 * dw = gradient with respect to the weight, for stride-1 layers of at most 32 output channels
 * (AVX-512, one group, dilation 1, batch at least the thread count). Each thread takes a share of
 * the images. With 12 to 32 input channels the vector lanes run over the input channels (input
 * transposed to channels-last); otherwise over output pixels, a block of images at a time through
 * every (4 channels x 6 taps) tile while the block is still in L1, with 16-lane partial sums kept
 * between blocks. The threads' shares are summed at the end. Returns false (and writes nothing)
 * when it does not apply.
 */
bool smallChannelsBackwardFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace stride
