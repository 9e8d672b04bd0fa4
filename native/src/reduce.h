// Reductions over a set of axes (float32 in, float64 accumulation for sums).
#pragma once

#include <cstdint>

namespace stride {

/** Reduction op codes. */
enum class ReduceOp : int { Sum = 0, Max, Min };

/**
 * Reduce x (shape of rank nd, row-major) over the axes flagged in `reduced` into out (the kept
 * dimensions in order). For max/min, indices (if non-null) receive the position of the first
 * extreme value along the reduced axes, flattened in row-major order over those axes. Returns
 * false, touching nothing, for a case it does not handle (max/min over axes that are not
 * adjacent once size-1 dimensions are dropped); the caller then uses the reference kernel.
 */
bool reduce(ReduceOp op, const float* x, const int64_t* shape, const bool* reduced, int nd, float* out,
            int32_t* indices);

}  // namespace stride
