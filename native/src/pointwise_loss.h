// Element-wise losses of (input x, target t) pairs, forward and backward: the same rows as the
// TypeScript reference (src/backend/reference/pointwise-loss.ts), looked up by name at load, against
// which test/native/pointwise-loss.test.ts checks them. Arithmetic is in double (the losses are
// accumulated in double by the caller; one formula per element costs little next to the model).
#pragma once

#include <cstdint>

namespace stride {

/** How many element-wise loss kernels there are; codes are 0..count-1. */
int pointwiseLossCount();

/** The name of the kernel with this code (the reference table's key), or nullptr. */
const char* pointwiseLossName(int code);

/**
 * losses[j] = f(x[j], t[j], w[j], pw[j], param) for the kernel `code`; weight and posWeight may be
 * null (all ones).
 */
void pointwiseLossForward(int code, const float* x, const float* t, const float* weight, const float* posWeight,
                          double param, double* losses, int64_t n);

/** dx[j] = scales[j]·∂f/∂x and dt[j] = scales[j]·∂f/∂t; either output may be null (not wanted). */
void pointwiseLossBackward(int code, const float* x, const float* t, const float* weight, const float* posWeight,
                           double param, const double* scales, float* dx, float* dt, int64_t n);

}  // namespace stride
