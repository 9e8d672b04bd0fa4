// Batch-normalization kernels over data laid out as [batch, channels, spatial] (float32 data,
// float64 per-channel statistics and coefficients).
#pragma once

#include <cstdint>

namespace stride {

/** Layout of a per-channel op: `spatial` is the product of the dimensions after the channel one. */
struct ChannelGeometry {
  int64_t batch, channels, spatial;
};

/** Per-channel mean and biased variance (overwrites both; the geometry must hold at least one element). */
void batchNormStats(const ChannelGeometry& g, const float* x, double* mean, double* variance);

/** y = x * scale[c] + shift[c]. */
void batchNormForward(const ChannelGeometry& g, const float* x, const double* scale, const double* shift, float* y);

/** Per channel: sumDy[c] = sum of dy, sumDyXc[c] = sum of dy * (x - mean[c]) (overwrites both). */
void batchNormBackwardSums(const ChannelGeometry& g, const float* dy, const float* x, const double* mean,
                           double* sumDy, double* sumDyXc);

/** dx = dy * dyScale[c] + x * xScale[c] + shift[c]. */
void batchNormBackwardData(const ChannelGeometry& g, const float* dy, const float* x, const double* dyScale,
                           const double* xScale, const double* shift, float* dx);

}  // namespace stride
