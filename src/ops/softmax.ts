/**
 * softmax, logSoftmax and logSumExp along one dimension, numerically stable (the maximum is
 * subtracted before exponentiating): one backend kernel forward and one backward each.
 */
import { record } from '../autograd/grad-fn.js';
import { kernels } from '../backend/registry.js';
import type { FloatArray } from '../tensor/dtype.js';
import { normAxis } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';

/**
 * A tensor seen as [outer, n, inner] around dimension `dim`: element (o, k, i) sits at
 * (o·n + k)·inner + i.
 */
export interface DimGeometry {
  /** Product of the dimensions before `dim`. */
  outer: number;
  /** Size of `dim`. */
  n: number;
  /** Product of the dimensions after `dim`. */
  inner: number;
  /** `dim`, normalized to be non-negative. */
  dim: number;
}

/** Split `shape` around `dim` (negative counts from the end; a 0-d tensor acts as [1]). */
export function dimGeometry(op: string, shape: readonly number[], dim: number): DimGeometry {
  const d = normAxis(op, dim, Math.max(shape.length, 1));
  let outer = 1;
  let inner = 1;
  for (let j = 0; j < d; j++) outer *= shape[j]!;
  for (let j = d + 1; j < shape.length; j++) inner *= shape[j]!;
  return { outer, n: shape.length === 0 ? 1 : shape[d]!, inner, dim: d };
}

/** Write log(softmax(x)) along the middle axis of the [outer, n, inner] view into `out` (the backend's kernel). */
export function logSoftmaxInto(x: FloatArray, out: FloatArray, g: DimGeometry): void {
  kernels().softmax({ outer: g.outer, n: g.n, inner: g.inner, log: true }, x, out);
}

/** softmax or logSoftmax along `dim`: one kernel call forward, one backward, the dim on the record. */
function softmaxOp(name: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  const geo = dimGeometry(name, x.shape, dim);
  const p = { outer: geo.outer, n: geo.n, inner: geo.inner, log: name === 'logSoftmax' };
  const out = empty(x.shape, x.dtype);
  kernels().softmax(p, x.data, out.data);
  return record(
    name,
    [x],
    out,
    (grad) => {
      const dx = empty(x.shape, x.dtype);
      kernels().softmaxBackward(p, out.data, grad.data, dx.data);
      return [dx];
    },
    { dim: geo.dim },
  );
}

/**
 * e^x / Σ e^x along `dim` (as `torch.softmax(x, dim)`; pass 1 for the class scores of [N, C] or
 * [N, C, H, W] outputs, -1 for the last dimension).
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp('softmax', x, dim);
}

/** log(softmax(x)) along `dim`, computed as x - logSumExp(x) without forming softmax first. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxOp('logSoftmax', x, dim);
}

/**
 * log Σ e^x along `dim` (as `torch.logsumexp(x, dim, keepdim)`), stable for large inputs; the
 * dimension is dropped unless `keepdim`.
 */
export function logSumExp(x: Tensor, dim: number, keepdim = false): Tensor {
  const geo = dimGeometry('logSumExp', x.shape, dim);
  const p = { outer: geo.outer, n: geo.n, inner: geo.inner };
  const shape = x.shape.filter((_, j) => j !== geo.dim);
  if (keepdim && x.ndim > 0) shape.splice(geo.dim, 0, 1);
  const out = empty(shape, x.dtype);
  kernels().logSumExp(p, x.data, out.data);
  return record(
    'logSumExp',
    [x],
    out,
    (grad) => {
      const dx = empty(x.shape, x.dtype);
      kernels().logSumExpBackward(p, x.data, out.data, grad.data, dx.data);
      return [dx];
    },
    { dim: geo.dim, keepdim },
  );
}
