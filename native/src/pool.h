// 2-D max and average pooling over NCHW planes (float32), forward and backward.
#pragma once

#include <cstdint>

namespace stride {

/** Geometry of one pooling window (the Backend's Pool2dParams). */
struct PoolGeometry {
  int64_t batch, channels, inH, inW, kH, kW, strideH, strideW, padTop, padLeft, padBottom, padRight;
  int64_t dilationH, dilationW, outH, outW;
  bool countIncludePad;
};

/**
 * Max pooling; indices receive the flat position (within each input plane) of each maximum, or are
 * null when nothing reads them (inference): then only the values are computed.
 */
void maxPool2dForward(const PoolGeometry& p, const float* x, float* y, int32_t* indices);
/**
 * Routes dy to the recorded maxima (overwrites dx). Returns false when an index lies past its
 * input plane (such entries are skipped, never written out of bounds); -1 means "no maximum".
 */
bool maxPool2dBackward(const PoolGeometry& p, const float* dy, const int32_t* indices, float* dx);
/** Average pooling. */
void avgPool2dForward(const PoolGeometry& p, const float* x, float* y);
/** Gradient of average pooling (overwrites dx). */
void avgPool2dBackward(const PoolGeometry& p, const float* dy, float* dx);

}  // namespace stride
