// Element-wise kernels (float32): functions of one argument, and functions of two arguments with
// NumPy broadcasting.
#pragma once

#include <cstdint>
#include <functional>

namespace stride {

/** Unary op codes; the TypeScript wrapper maps the Backend's op names to these. */
enum class UnaryOp : int {
  Neg = 0,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sign,
  Relu,
  Sigmoid,
  Tanh,
  LeakyRelu,
  Elu,
  PowScalar,
  Reciprocal,
  Square,
  Erf,
  Count
};

/** Binary op codes; comparisons write 1 or 0. */
enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Gt, Ge, Lt, Le, ReluGrad, Count };

/** y[i] = f(x[i]) for i < n; `alpha` parameterizes leakyRelu, elu and powScalar. */
void unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha);

/**
 * out = a (op) b over `outShape` (rank nd, row-major, contiguous). aStrides/bStrides give each
 * operand's element stride per output dimension, 0 along broadcast dimensions.
 */
void binary(BinaryOp op, const float* a, const int64_t* aStrides, const float* b, const int64_t* bStrides,
            float* out, const int64_t* outShape, int nd);

/**
 * Run fn(begin, end) over [0, n) in chunks on the thread pool when n is large enough to gain (the
 * element-wise kernels' own split), else once on the calling thread.
 */
void parallelElements(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

/** y[i] = e^x[i] for i < n on the calling thread, with the vector exp of the active instruction set (x may be y). */
void expRange(const float* x, float* y, int64_t n);

}  // namespace stride
