import { ShapeError, ValueError } from '../errors.js';

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-order) strides of a contiguous shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Throw unless every dimension is a non-negative integer. */
export function checkShape(op: string, shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(
        op,
        `shape [${shape.join(', ')}] has a dimension ${d} that is not a non-negative integer`,
      );
    }
  }
}

/** Normalize a possibly negative axis into [0, ndim). */
export function normAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= Math.max(ndim, 1)) {
    throw new ValueError(op, `axis ${axis} is out of range for a tensor of rank ${ndim}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** NumPy broadcasting: the shape two operands broadcast to, or a ShapeError. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        op,
        'operands cannot be broadcast together',
        a,
        b,
        'dimensions must be equal or 1 when aligned from the right',
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Whether two shapes are equal. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Strides to read an array of `shape` as if it had `target` shape under broadcasting:
 * broadcast dimensions get stride 0.
 */
export function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const own = stridesOf(shape);
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 ? 0 : own[i]!;
  return out;
}
