import { record } from '../autograd/grad-fn.js';
import { hostKernel } from '../backend/kernel-recording.js';
import { kernels } from '../backend/registry.js';
import { ValueError } from '../errors.js';
import type { FloatArray } from '../tensor/dtype.js';
import { normAxis } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { binaryRaw, copyInto } from './elementwise.js';

/** Options of var/std. */
export interface VarOptions {
  /** Divide by n-1 (Bessel's correction, the default as in PyTorch) instead of n. */
  unbiased?: boolean;
  /** Keep reduced dimensions with size 1. */
  keepdim?: boolean;
}

/** Sorted distinct axes; all axes when `axes` is undefined. */
export function normAxes(op: string, axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = [...new Set(list.map((a) => normAxis(op, a, ndim)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new ValueError(op, `axes [${list.join(', ')}] repeat an axis`);
  return out;
}

/** The shape after reducing `axes` (kept as 1 with keepdim, dropped otherwise). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (axes.includes(d)) {
      if (keepdim) out.push(1);
    } else out.push(shape[d]!);
  }
  return out;
}

/** Expand a reduced gradient back over the reduced axes (broadcast by adding to zeros). */
function expandBack(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const kept = g.reshape(reducedShape(x.shape, axes, true));
  return binaryRaw('add', empty(x.shape, x.dtype), kept);
}

function countOf(shape: readonly number[], axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) n *= shape[a]!;
  return n;
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const ax = normAxes('sum', axes, x.ndim);
  const out = empty(reducedShape(x.shape, ax, keepdim), x.dtype);
  if (ax.length === 0) out.data.set(x.data);
  else kernels().reduce('sum', x.data, x.shape, ax, out.data);
  return record('sum', [x], out, (g) => [expandBack(g, x, ax)]);
}

/** a[i] /= n for every element. */
function divideAll(a: FloatArray, n: number): void {
  for (let i = 0; i < a.length; i++) a[i]! /= n;
}

/** Mean over `axes` (all when omitted). */
export function mean(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  const ax = normAxes('mean', axes, x.ndim);
  const n = countOf(x.shape, ax);
  const out = empty(reducedShape(x.shape, ax, keepdim), x.dtype);
  if (ax.length === 0) hostKernel(copyInto, out.data, x.data);
  else kernels().reduce('sum', x.data, x.shape, ax, out.data);
  hostKernel(divideAll, out.data, n);
  return record('mean', [x], out, (g) => {
    const e = expandBack(g, x, ax);
    for (let i = 0; i < e.size; i++) e.data[i]! /= n;
    return [e];
  });
}

/** Max/min values and the index of the first extreme (flattened over the reduced axes). */
function extreme(
  op: 'max' | 'min',
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepdim: boolean,
) {
  if (x.size === 0) throw new ValueError(op, 'cannot reduce an empty tensor');
  const ax = normAxes(op, axes, x.ndim);
  const shape = reducedShape(x.shape, ax, keepdim);
  const values = empty(shape, x.dtype);
  const idx = new Int32Array(values.size);
  if (ax.length === 0) values.data.set(x.data);
  else kernels().reduce(op, x.data, x.shape, ax, values.data, idx);
  return { ax, values, idx };
}

/** Maximum over `axes` (all when omitted). The gradient goes to the first maximal element. */
export function max(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return extremeValues('max', x, axes, keepdim);
}

/** Minimum over `axes` (all when omitted). The gradient goes to the first minimal element. */
export function min(x: Tensor, axes?: number | readonly number[], keepdim = false): Tensor {
  return extremeValues('min', x, axes, keepdim);
}

function extremeValues(
  op: 'max' | 'min',
  x: Tensor,
  axes: number | readonly number[] | undefined,
  keepdim: boolean,
) {
  const { ax, values, idx } = extreme(op, x, axes, keepdim);
  return record(op, [x], values, (g) => [scatterToExtremes(g, x, ax, idx)]);
}

/** Route each reduced gradient to the element that won, given its index within the reduced axes. */
function scatterToExtremes(g: Tensor, x: Tensor, ax: readonly number[], idx: Int32Array): Tensor {
  const dx = empty(x.shape, x.dtype);
  const strides: number[] = new Array<number>(x.ndim);
  let acc = 1;
  for (let d = x.ndim - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= x.shape[d]!;
  }
  const kept = [...Array(x.ndim).keys()].filter((d) => !ax.includes(d));
  const kidx = new Array<number>(kept.length).fill(0);
  for (let o = 0; o < idx.length; o++) {
    // Offset of the kept coordinates.
    let base = 0;
    for (let q = 0; q < kept.length; q++) base += kidx[q]! * strides[kept[q]!]!;
    // Offset of the winner within the reduced axes.
    let r = idx[o]!;
    let off = 0;
    for (let q = ax.length - 1; q >= 0; q--) {
      const d = ax[q]!;
      off += (r % x.shape[d]!) * strides[d]!;
      r = Math.floor(r / x.shape[d]!);
    }
    dx.data[base + off]! += g.data[o]!;
    for (let q = kept.length - 1; q >= 0; q--) {
      kidx[q]!++;
      if (kidx[q]! < x.shape[kept[q]!]!) break;
      kidx[q] = 0;
    }
  }
  return dx;
}

/** Max along one axis with the index of the maximum (like `torch.max(x, dim)`). */
export function maxWithIndices(
  x: Tensor,
  axis: number,
  keepdim = false,
): { values: Tensor; indices: Tensor } {
  const { ax, values, idx } = extreme('max', x, axis, keepdim);
  const indices = empty(values.shape, x.dtype);
  for (let i = 0; i < idx.length; i++) indices.data[i] = idx[i]!;
  return { values: record('max', [x], values, (g) => [scatterToExtremes(g, x, ax, idx)]), indices };
}

/** Min along one axis with the index of the minimum. */
export function minWithIndices(
  x: Tensor,
  axis: number,
  keepdim = false,
): { values: Tensor; indices: Tensor } {
  const { ax, values, idx } = extreme('min', x, axis, keepdim);
  const indices = empty(values.shape, x.dtype);
  for (let i = 0; i < idx.length; i++) indices.data[i] = idx[i]!;
  return { values: record('min', [x], values, (g) => [scatterToExtremes(g, x, ax, idx)]), indices };
}

/** Index of the maximum along `axis` (of the flattened tensor when omitted). */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  const { values, idx } = extreme(
    'max',
    axis === undefined ? x.reshape([-1]) : x,
    axis ?? 0,
    keepdim && axis !== undefined,
  );
  const out = empty(values.shape, x.dtype);
  for (let i = 0; i < idx.length; i++) out.data[i] = idx[i]!;
  return out;
}

/** Index of the minimum along `axis` (of the flattened tensor when omitted). */
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  const { values, idx } = extreme(
    'min',
    axis === undefined ? x.reshape([-1]) : x,
    axis ?? 0,
    keepdim && axis !== undefined,
  );
  const out = empty(values.shape, x.dtype);
  for (let i = 0; i < idx.length; i++) out.data[i] = idx[i]!;
  return out;
}

/** Variance over `axes` (unbiased by default, as in PyTorch). */
export function variance(x: Tensor, axes?: number | readonly number[], opts?: VarOptions): Tensor {
  const ax = normAxes('var', axes, x.ndim);
  const n = countOf(x.shape, ax);
  const unbiased = opts?.unbiased ?? true;
  const centered = x.sub(mean(x, ax, true));
  const ss = sum(centered.mul(centered), ax, opts?.keepdim ?? false);
  return ss.div(unbiased ? n - 1 : n);
}

/** Standard deviation over `axes` (unbiased by default). */
export function std(x: Tensor, axes?: number | readonly number[], opts?: VarOptions): Tensor {
  return variance(x, axes, opts).sqrt();
}
