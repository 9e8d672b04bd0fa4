// Activation kernels (float32): y = f(x) and dx = g·f'(x), one table row per activation, matched
// by name with the TypeScript reference table (src/backend/reference/activation.ts) at load.
#pragma once

#include <cstdint>

namespace stride {

/** Number of activation kernels; codes are 0..count-1 in table order. */
int activationCount();

/** The name of activation `code` (the TypeScript kernel name, e.g. "hardswish"). */
const char* activationName(int code);

/** y[i] = f(x[i]) with parameters p0, p1. */
void activationForward(int code, const float* x, float* y, int64_t n, float p0, float p1);

/** dx[i] = g[i] · f'(x[i]), given the forward's input x and output y. */
void activationBackward(int code, const float* x, const float* y, const float* g, float* dx, int64_t n, float p0,
                        float p1);

}  // namespace stride
