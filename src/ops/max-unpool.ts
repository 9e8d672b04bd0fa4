import { record } from '../autograd/grad-fn.js';
import { ShapeError, ValueError } from '../errors.js';
import { shapesEqual } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import type { Pair } from './geometry.js';
import { intPair, requireImageBatch } from './pool2d.js';

/** Options of {@link maxUnpool2d} (PyTorch's `F.max_unpool2d`, camelCase). */
export interface MaxUnpool2dOptions {
  /** Window size of the max pooling being undone: a number or [h, w]. */
  kernelSize: Pair;
  /** Its stride (default: the kernel size). */
  stride?: Pair;
  /** Its symmetric padding: a number or [h, w] (default 0). */
  padding?: Pair;
  /**
   * The output size, [h, w] or [N, C, h, w] (only the last two are used), e.g. the shape of the
   * tensor that was pooled. Default: (in - 1) * stride - 2 * padding + kernel; a given size must be
   * within one stride of that (exclusive), as in PyTorch.
   */
  outputSize?: readonly number[];
}

/**
 * Partial inverse of max pooling (PyTorch's `F.max_unpool2d`): a zero tensor [N, C, outH, outW]
 * with each value of `x` placed at its flat index (within the H×W plane) from `indices`, the
 * indices that `maxPool2d(..., {returnIndices: true})` returns. Differentiable with respect to
 * `x`: each input's gradient is the output gradient at its index. Where overlapping pooling
 * windows repeat an index, the value written last (in row-major input order) stays, as in PyTorch.
 */
export function maxUnpool2d(x: Tensor, indices: Tensor, opts: MaxUnpool2dOptions): Tensor {
  const op = 'maxUnpool2d';
  requireImageBatch(op, x);
  if (!shapesEqual(x.shape, indices.shape)) {
    throw new ShapeError(
      op,
      'indices must have the shape of the input',
      x.shape,
      indices.shape,
      'pass the indices that maxPool2d(x, {..., returnIndices: true}) returned with these values',
    );
  }
  const [kH, kW] = intPair(op, 'kernelSize', opts.kernelSize, 1, 'pass the kernel size of the max pooling');
  const [sH, sW] =
    opts.stride === undefined
      ? [kH, kW]
      : intPair(op, 'stride', opts.stride, 1, 'pass the stride of the max pooling (at least 1)');
  const [pH, pW] =
    opts.padding === undefined
      ? [0, 0]
      : intPair(op, 'padding', opts.padding, 0, 'pass the padding of the max pooling (a number or [h, w])');
  const [n, c, inH, inW] = x.shape as [number, number, number, number];
  const defaults = [(inH - 1) * sH - 2 * pH + kH, (inW - 1) * sW - 2 * pW + kW] as const;
  const [outH, outW] = resolveUnpoolSize(op, opts.outputSize, defaults, [sH, sW]);
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  for (let i = 0; i < indices.size; i++) {
    const v = indices.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= outPlane) {
      throw new ValueError(
        op,
        `index ${v} at position ${i} is not a position in the ${outH}x${outW} output plane; expected an ` +
          `integer in [0, ${outPlane}). Fix: pass the indices from maxPool2d with the same kernel, stride ` +
          'and padding, and outputSize equal to the pooled input size',
      );
    }
  }
  const y = empty([n, c, outH, outW], x.dtype);
  for (let pl = 0; pl < n * c; pl++) {
    for (let i = 0; i < inPlane; i++) {
      const s = pl * inPlane + i;
      y.data[pl * outPlane + indices.data[s]!] = x.data[s]!;
    }
  }
  return record(op, [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    for (let pl = 0; pl < n * c; pl++) {
      for (let i = 0; i < inPlane; i++) {
        const s = pl * inPlane + i;
        dx.data[s] = g.data[pl * outPlane + indices.data[s]!]!;
      }
    }
    return [dx];
  });
}

/** The output [h, w]: the default, or a given size checked against it as PyTorch does. */
function resolveUnpoolSize(
  op: string,
  size: readonly number[] | undefined,
  defaults: readonly [number, number],
  stride: readonly [number, number],
): [number, number] {
  if (size === undefined) {
    if (defaults[0] < 1 || defaults[1] < 1) {
      throw new ValueError(
        op,
        `the default output size [${defaults.join(', ')}] is empty; expected positive sizes. ` +
          'Fix: check kernelSize, stride and padding, or pass outputSize',
      );
    }
    return [defaults[0], defaults[1]];
  }
  if (!Array.isArray(size) || (size.length !== 2 && size.length !== 4)) {
    throw new ValueError(
      op,
      `outputSize must be [h, w] or [N, C, h, w]; got ${JSON.stringify(size)}. Fix: pass the shape of the pooled input`,
    );
  }
  const hw = size.slice(-2) as [number, number];
  for (let d = 0; d < 2; d++) {
    const lo = defaults[d]! - stride[d]!;
    const hi = defaults[d]! + stride[d]!;
    const v = hw[d]!;
    if (!Number.isInteger(v) || v < 1 || v <= lo || v >= hi) {
      throw new ValueError(
        op,
        `outputSize ${JSON.stringify(size)}: dimension ${d} must be an integer strictly between ${lo} and ${hi}; ` +
          `got ${v}. Fix: pass the size of the tensor that was max-pooled, or omit outputSize`,
      );
    }
  }
  return hw;
}
