// Max-pool backward for windows that tile the input (kernel = stride, no padding or dilation).
#pragma once

#include "pool.h"

namespace stride {

/**
 * dx of one (image, channel) plane for tiling windows: every dx value is written once (the
 * recorded maximum of its window gets dy, the rest of the window and the positions no window
 * covers get 0), with no memset before and no scatter; 2x2 windows run 8 at a time on AVX-512.
 * Returns false, having written part of dxp, when p's windows do not tile the input or an index
 * lies outside its window and is not -1, or rows hold fewer than 8 windows: the caller then runs
 * the general routine on the plane.
 */
bool maxPoolBackwardTiledPlane(const PoolGeometry& p, const float* dyp, const int32_t* ip, float* dxp);

}  // namespace stride
