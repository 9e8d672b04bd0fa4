/**
 * softmax, logSoftmax and logSumExp along one dimension, numerically stable (the maximum is
 * subtracted before exponentiating), each with its backward written out:
 * - softmax: dx = y ⊙ (g - Σ g⊙y)
 * - logSoftmax: dx = g - softmax(x) · Σ g
 * - logSumExp: dx = g · softmax(x)
 */
import { record } from '../autograd/grad-fn.js';
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

/** Write log(softmax(x)) along the middle axis of the [outer, n, inner] view into `out`. */
export function logSoftmaxInto(x: FloatArray, out: FloatArray, g: DimGeometry): void {
  const { outer, n, inner } = g;
  const m = new Float64Array(inner);
  const s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    maxAndSumExp(x, base, n, inner, m, s);
    for (let i = 0; i < inner; i++) s[i] = m[i]! + Math.log(s[i]!);
    for (let k = 0; k < n; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) out[row + i] = x[row + i]! - s[i]!;
    }
  }
}

/**
 * For one outer slice: m[i] = max over k (0 when that maximum is ±∞, so all--∞ slices give -∞ and
 * slices with +∞ give +∞ rather than NaN) and s[i] = Σₖ e^(x - m[i]).
 */
function maxAndSumExp(
  x: FloatArray,
  base: number,
  n: number,
  inner: number,
  m: Float64Array,
  s: Float64Array,
): void {
  m.fill(-Infinity);
  s.fill(0);
  for (let k = 0; k < n; k++) {
    const row = base + k * inner;
    for (let i = 0; i < inner; i++) if (x[row + i]! > m[i]!) m[i] = x[row + i]!;
  }
  for (let i = 0; i < inner; i++) if (!Number.isFinite(m[i]!) && !Number.isNaN(m[i]!)) m[i] = 0;
  for (let k = 0; k < n; k++) {
    const row = base + k * inner;
    for (let i = 0; i < inner; i++) s[i] = s[i]! + Math.exp(x[row + i]! - m[i]!);
  }
}

/**
 * e^x / Σ e^x along `dim` (as `torch.softmax(x, dim)`; pass 1 for the class scores of [N, C] or
 * [N, C, H, W] outputs, -1 for the last dimension).
 */
export function softmax(x: Tensor, dim: number): Tensor {
  const geo = dimGeometry('softmax', x.shape, dim);
  const { outer, n, inner } = geo;
  const out = empty(x.shape, x.dtype);
  const xd = x.data;
  const y = out.data;
  const m = new Float64Array(inner);
  const s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    maxAndSumExp(xd, base, n, inner, m, s);
    for (let i = 0; i < inner; i++) s[i] = 1 / s[i]!;
    for (let k = 0; k < n; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) y[row + i] = Math.exp(xd[row + i]! - m[i]!) * s[i]!;
    }
  }
  return record(
    'softmax',
    [x],
    out,
    (grad) => {
      const g = grad.data;
      const dx = empty(x.shape, x.dtype);
      const d = dx.data;
      const dot = new Float64Array(inner);
      for (let o = 0; o < outer; o++) {
        const base = o * n * inner;
        dot.fill(0);
        for (let k = 0; k < n; k++) {
          const row = base + k * inner;
          for (let i = 0; i < inner; i++) dot[i] = dot[i]! + g[row + i]! * y[row + i]!;
        }
        for (let k = 0; k < n; k++) {
          const row = base + k * inner;
          for (let i = 0; i < inner; i++) d[row + i] = y[row + i]! * (g[row + i]! - dot[i]!);
        }
      }
      return [dx];
    },
    { dim: geo.dim },
  );
}

/** log(softmax(x)) along `dim`, computed as x - logSumExp(x) without forming softmax first. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const geo = dimGeometry('logSoftmax', x.shape, dim);
  const { outer, n, inner } = geo;
  const out = empty(x.shape, x.dtype);
  logSoftmaxInto(x.data, out.data, geo);
  const y = out.data;
  return record(
    'logSoftmax',
    [x],
    out,
    (grad) => {
      const g = grad.data;
      const dx = empty(x.shape, x.dtype);
      const d = dx.data;
      const total = new Float64Array(inner);
      for (let o = 0; o < outer; o++) {
        const base = o * n * inner;
        total.fill(0);
        for (let k = 0; k < n; k++) {
          const row = base + k * inner;
          for (let i = 0; i < inner; i++) total[i] = total[i]! + g[row + i]!;
        }
        for (let k = 0; k < n; k++) {
          const row = base + k * inner;
          for (let i = 0; i < inner; i++) d[row + i] = g[row + i]! - Math.exp(y[row + i]!) * total[i]!;
        }
      }
      return [dx];
    },
    { dim: geo.dim },
  );
}

/**
 * log Σ e^x along `dim` (as `torch.logsumexp(x, dim, keepdim)`), stable for large inputs; the
 * dimension is dropped unless `keepdim`.
 */
export function logSumExp(x: Tensor, dim: number, keepdim = false): Tensor {
  const geo = dimGeometry('logSumExp', x.shape, dim);
  const { outer, n, inner } = geo;
  const shape = x.shape.filter((_, j) => j !== geo.dim);
  if (keepdim && x.ndim > 0) shape.splice(geo.dim, 0, 1);
  const out = empty(shape, x.dtype);
  const xd = x.data;
  const y = out.data;
  const m = new Float64Array(inner);
  const s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    maxAndSumExp(xd, o * n * inner, n, inner, m, s);
    for (let i = 0; i < inner; i++) y[o * inner + i] = m[i]! + Math.log(s[i]!);
  }
  return record('logSumExp', [x], out, (grad) => {
    const g = grad.data;
    const dx = empty(x.shape, x.dtype);
    const d = dx.data;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        const row = (o * n + k) * inner;
        for (let i = 0; i < inner; i++) {
          const r = o * inner + i;
          d[row + i] = g[r]! * Math.exp(xd[row + i]! - y[r]!);
        }
      }
    }
    return [dx];
  });
}
