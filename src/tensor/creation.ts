import { ShapeError, ValueError } from '../errors.js';
import { allocate, dtypeOf, type DType, type FloatArray } from './dtype.js';
import { defaultRng, Rng } from './random.js';
import { checkShape, sizeOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

/** Options shared by the creation functions. */
export interface CreateOptions {
  /** Element type (default float32). */
  dtype?: DType;
  /** Track gradients for this tensor (a leaf). */
  requiresGrad?: boolean;
}

/** Options of the random creation functions. */
export interface RandomOptions extends CreateOptions {
  /** Seed a private generator for this call (reproducible regardless of other draws). */
  seed?: number;
  /** Draw from this generator instead of the process-wide one. */
  rng?: Rng;
}

function finish(t: Tensor, opts?: CreateOptions): Tensor {
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function inferShape(data: NestedArray, op: string): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0]!;
  }
  void op;
  return shape;
}

function flattenInto(
  data: NestedArray,
  shape: number[],
  dim: number,
  out: FloatArray,
  pos: { i: number },
): void {
  if (dim === shape.length) {
    if (typeof data !== 'number') {
      throw new ShapeError(
        'tensor',
        'nested array is deeper than its first element suggests',
        shape,
        'ragged array',
      );
    }
    out[pos.i++] = data;
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new ShapeError(
      'tensor',
      `ragged nested array at depth ${dim}`,
      `${shape[dim]} elements`,
      Array.isArray(data) ? `${data.length} elements` : 'a number',
      'every row at the same depth must have the same length',
    );
  }
  for (const d of data) flattenInto(d, shape, dim + 1, out, pos);
}

/**
 * Create a tensor from nested arrays, a flat array or a typed array. With `shape`, flat data is
 * laid out in row-major order. A Float64Array input gives a float64 tensor unless `dtype` says
 * otherwise. Typed-array data is copied.
 */
export function tensor(
  data: NestedArray | ArrayLike<number>,
  shape?: readonly number[],
  opts?: CreateOptions,
): Tensor {
  let dtype: DType = opts?.dtype ?? (data instanceof Float64Array ? 'float64' : 'float32');
  if (typeof data === 'number') {
    const s = shape ?? [];
    if (sizeOf(s) !== 1)
      throw new ShapeError('tensor', 'a single number needs a one-element shape', '[] or [1, ...]', s);
    const a = allocate(dtype, 1);
    a[0] = data;
    return finish(new Tensor(a, s), opts);
  }
  const isNested = Array.isArray(data) && data.length > 0 && Array.isArray(data[0]);
  if (!isNested) {
    const flat = data as ArrayLike<number>;
    const s = shape ?? [flat.length];
    checkShape('tensor', s);
    if (sizeOf(s) !== flat.length) {
      throw new ShapeError('tensor', `${flat.length} values do not fill the shape`, `${sizeOf(s)} values`, s);
    }
    const a = allocate(dtype, flat.length);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'number')
        throw new ValueError('tensor', `element ${i} is ${typeof v}, expected a number`);
      a[i] = v;
    }
    return finish(new Tensor(a, s), opts);
  }
  const inferred = inferShape(data as NestedArray, 'tensor');
  const a = allocate(dtype, sizeOf(inferred));
  flattenInto(data as NestedArray, inferred, 0, a, { i: 0 });
  const s = shape ?? inferred;
  if (sizeOf(s) !== a.length) {
    throw new ShapeError('tensor', 'the nested array does not fill the given shape', inferred, s);
  }
  dtype = dtypeOf(a);
  return finish(new Tensor(a, s), opts);
}

/** Wrap a typed array without copying. */
export function fromArray(
  data: FloatArray,
  shape: readonly number[],
  opts?: { requiresGrad?: boolean },
): Tensor {
  return finish(new Tensor(data, shape), opts);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, opts?: CreateOptions): Tensor {
  checkShape('full', shape);
  const a = allocate(opts?.dtype ?? 'float32', sizeOf(shape));
  if (value !== 0) a.fill(value);
  return finish(new Tensor(a, shape), opts);
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], opts?: CreateOptions): Tensor {
  return full(shape, 0, opts);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], opts?: CreateOptions): Tensor {
  return full(shape, 1, opts);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor, opts?: CreateOptions): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, ...opts });
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor, opts?: CreateOptions): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...opts });
}

/** A 0-d tensor holding one number. */
export function scalar(value: number, opts?: CreateOptions): Tensor {
  return full([], value, opts);
}

/** Values start, start+step, ... < end (like `torch.arange`). `arange(n)` is 0..n-1. */
export function arange(start: number, end?: number, step = 1, opts?: CreateOptions): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new ValueError('arange', 'step must not be zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const a = allocate(opts?.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return finish(new Tensor(a, [n]), opts);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts?: CreateOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ValueError('linspace', `steps must be a non-negative integer, got ${steps}`);
  const a = allocate(opts?.dtype ?? 'float32', steps);
  for (let i = 0; i < steps; i++) a[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(new Tensor(a, [steps]), opts);
}

/** The n×n identity matrix. */
export function eye(n: number, opts?: CreateOptions): Tensor {
  const t = zeros([n, n], opts);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

function rngFor(opts?: RandomOptions): Rng {
  if (opts?.rng) return opts.rng;
  if (opts?.seed !== undefined) {
    // A private generator: the same seed always gives the same tensor.
    return new Rng(opts.seed);
  }
  return defaultRng();
}

/** Standard normal samples (mean 0, std 1). */
export function randn(shape: readonly number[], opts?: RandomOptions): Tensor {
  const t = zeros(shape, { dtype: opts?.dtype ?? 'float32' });
  const r = rngFor(opts);
  for (let i = 0; i < t.size; i++) t.data[i] = r.normal();
  return finish(t, opts);
}

/** Uniform samples in [low, high) (default [0, 1)). */
export function rand(
  shape: readonly number[],
  opts?: RandomOptions & { low?: number; high?: number },
): Tensor {
  const t = zeros(shape, { dtype: opts?.dtype ?? 'float32' });
  const r = rngFor(opts);
  const lo = opts?.low ?? 0;
  const hi = opts?.high ?? 1;
  for (let i = 0; i < t.size; i++) t.data[i] = r.uniform(lo, hi);
  return finish(t, opts);
}

/** Uniform integers in [low, high), stored as floats (class labels, indices). */
export function randint(low: number, high: number, shape: readonly number[], opts?: RandomOptions): Tensor {
  const t = zeros(shape, { dtype: opts?.dtype ?? 'float32' });
  const r = rngFor(opts);
  for (let i = 0; i < t.size; i++) t.data[i] = r.int(low, high);
  return t;
}
