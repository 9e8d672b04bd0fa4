// RoI Align and RoI Pool (torchvision's roi_align / roi_pool) over NCHW float32 maps, forward and
// backward. Boxes arrive as float64 rows of (batchIndex, x1, y1, x2, y2), already checked.
#pragma once

#include <cstdint>

namespace stride {

/** The Backend's RoiParams. */
struct RoiGeometry {
  int64_t batch, channels, inH, inW, numRois, outH, outW;
  double spatialScale;
  int64_t samplingRatio;
  bool aligned;
};

void roiAlignForward(const RoiGeometry& p, const float* x, const double* rois, float* y);
/** Overwrites dx. */
void roiAlignBackward(const RoiGeometry& p, const float* dy, const double* rois, float* dx);
/** argmax receives the flat index within each input plane of every bin's maximum (-1: empty bin). */
void roiPoolForward(const RoiGeometry& p, const float* x, const double* rois, float* y, int32_t* argmax);
/** Overwrites dx; entries of argmax outside [0, inH*inW) are skipped. */
void roiPoolBackward(const RoiGeometry& p, const float* dy, const double* rois, const int32_t* argmax, float* dx);

}  // namespace stride
