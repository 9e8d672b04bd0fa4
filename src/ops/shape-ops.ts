import { record } from '../autograd/grad-fn.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { checkShape, normAxis, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import { empty, Tensor } from '../tensor/tensor.js';
import { binaryRaw } from './elementwise.js';
import { sumToShape } from './sum-to-shape.js';

/** Resolve a target shape that may contain one -1. */
function resolveShape(op: string, size: number, shape: readonly number[], from: readonly number[]): number[] {
  const out = [...shape];
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    if (out.indexOf(-1, neg + 1) >= 0)
      throw new ValueError(op, `only one dimension may be -1, got [${shape.join(', ')}]`);
    const rest = sizeOf(out.filter((_, i) => i !== neg));
    if (rest === 0 || size % rest !== 0) {
      throw new ShapeError(op, `cannot infer the -1 dimension for ${size} elements`, shape, from);
    }
    out[neg] = size / rest;
  }
  checkShape(op, out);
  if (sizeOf(out) !== size) {
    throw new ShapeError(
      op,
      `cannot reshape ${size} elements`,
      `a shape with ${size} elements`,
      `[${shape.join(', ')}] (${sizeOf(out)} elements)`,
    );
  }
  return out;
}

/** Same data in a new shape (one dimension may be -1). Shares memory with `x`. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = resolveShape('reshape', x.size, shape, x.shape);
  const out = new Tensor(x.data, s);
  return record('reshape', [x], out, (g) => [new Tensor(g.data, x.shape)]);
}

/** Merge dimensions `startDim`..`endDim` (inclusive) into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, x.ndim);
  const e = normAxis('flatten', endDim, x.ndim);
  if (s > e) throw new ValueError('flatten', `startDim ${startDim} comes after endDim ${endDim}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

function permuteRaw(x: Tensor, dims: readonly number[]): Tensor {
  const nd = x.ndim;
  const outShape = dims.map((d) => x.shape[d]!);
  const out = empty(outShape, x.dtype);
  const inStrides = stridesOf(x.shape);
  const st = dims.map((d) => inStrides[d]!);
  const n = x.size;
  if (n === 0) return out;
  const idx = new Array<number>(nd).fill(0);
  let src = 0;
  const last = nd - 1;
  const lastLen = outShape[last] ?? 1;
  const lastStride = st[last] ?? 0;
  for (let o = 0; o < n; o += lastLen) {
    let p = src;
    for (let j = 0; j < lastLen; j++, p += lastStride) out.data[o + j] = x.data[p]!;
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      src += st[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= st[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Reorder dimensions: output dimension i is input dimension dims[i]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim) {
    throw new ShapeError(
      'permute',
      'dims must list every dimension once',
      `${x.ndim} dims`,
      `[${dims.join(', ')}]`,
    );
  }
  const d = dims.map((a) => normAxis('permute', a, x.ndim));
  if (new Set(d).size !== d.length)
    throw new ValueError('permute', `dims [${dims.join(', ')}] repeat a dimension`);
  const inv = new Array<number>(d.length);
  d.forEach((a, i) => (inv[a] = i));
  return record('permute', [x], permuteRaw(x, d), (g) => [permuteRaw(g, inv)]);
}

/** Swap two dimensions. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.ndim < 2 && dim0 === -2 && dim1 === -1) return x;
  const a = normAxis('transpose', dim0, x.ndim);
  const b = normAxis('transpose', dim1, x.ndim);
  const dims = [...Array(x.ndim).keys()];
  dims[a] = b;
  dims[b] = a;
  return permute(x, dims);
}

/** Remove size-1 dimensions (all of them, or only `dim`). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis('squeeze', dim, x.ndim);
  if (x.shape[a] !== 1) return x;
  return reshape(
    x,
    x.shape.filter((_, i) => i !== a),
  );
}

/** Insert a size-1 dimension at position `dim` (negative counts from the end of the result). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const a = normAxis('unsqueeze', dim, x.ndim + 1);
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** Broadcast to `shape` (a -1 keeps that dimension). Copies the data. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) {
    throw new ShapeError(
      'expand',
      'the target must have at least as many dimensions',
      `rank >= ${x.ndim}`,
      shape,
    );
  }
  const off = shape.length - x.ndim;
  const target = shape.map((d, i) => (d === -1 ? (x.shape[i - off] ?? 1) : d));
  for (let i = 0; i < x.ndim; i++) {
    const from = x.shape[i]!;
    if (from !== 1 && from !== target[i + off]) {
      throw new ShapeError(
        'expand',
        `dimension ${i} of size ${from} cannot expand`,
        target,
        x.shape,
        'only size-1 dimensions can be expanded',
      );
    }
  }
  const out = binaryRaw('add', empty(target, x.dtype), x);
  return record('expand', [x], out, (g) => [sumToShape(g, x.shape)]);
}

/** Elements start, start+step, ... before `end` along `dim` (negative indices count from the end). */
export function slice(x: Tensor, dim: number, start: number, end?: number, step = 1): Tensor {
  const a = normAxis('slice', dim, x.ndim);
  const len = x.shape[a]!;
  if (!Number.isInteger(step) || step <= 0)
    throw new ValueError('slice', `step must be a positive integer, got ${step}`);
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + len : i, 0), len);
  const s = clampIdx(start);
  const e = clampIdx(end ?? len);
  const count = Math.max(0, Math.ceil((e - s) / step));
  const outShape = [...x.shape];
  outShape[a] = count;
  const out = empty(outShape, x.dtype);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < count; k++) {
      const src = (o * len + s + k * step) * inner;
      const dst = (o * count + k) * inner;
      out.data.set(x.data.subarray(src, src + inner), dst);
    }
  }
  return record('slice', [x], out, (g) => {
    const dx = empty(x.shape, x.dtype);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < count; k++) {
        const dst = (o * len + s + k * step) * inner;
        const src = (o * count + k) * inner;
        dx.data.set(g.data.subarray(src, src + inner), dst);
      }
    }
    return [dx];
  });
}

/** `length` elements along `dim` starting at `start`. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  return slice(x, dim, start, start + length);
}

/** Join tensors along an existing dimension; all other dimensions must match. */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('concat', 'needs at least one tensor');
  const first = tensors[0]!;
  const a = normAxis('concat', dim, first.ndim);
  let total = 0;
  for (const [i, t] of tensors.entries()) {
    if (t.dtype !== first.dtype) throw new DTypeError('concat', first.dtype, t.dtype);
    const ok = t.ndim === first.ndim && t.shape.every((d, j) => j === a || d === first.shape[j]);
    if (!ok) {
      const expected = first.shape.map((d, j) => (j === a ? '*' : String(d)));
      throw new ShapeError(
        'concat',
        `tensor ${i} does not match the others outside dimension ${a}`,
        `[${expected.join(', ')}]`,
        t.shape,
      );
    }
    total += t.shape[a]!;
  }
  const outShape = [...first.shape];
  outShape[a] = total;
  const out = empty(outShape, first.dtype);
  const outer = sizeOf(first.shape.slice(0, a));
  const inner = sizeOf(first.shape.slice(a + 1));
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    const len = t.shape[a]!;
    for (let o = 0; o < outer; o++) {
      out.data.set(t.data.subarray(o * len * inner, (o + 1) * len * inner), (o * total + offset) * inner);
    }
    offset += len;
  }
  return record('concat', tensors, out, (g, needs) =>
    tensors.map((t, i) => {
      if (!needs[i]) return null;
      const len = t.shape[a]!;
      const dx = empty(t.shape, t.dtype);
      for (let o = 0; o < outer; o++) {
        const src = (o * total + offsets[i]!) * inner;
        dx.data.set(g.data.subarray(src, src + len * inner), o * len * inner);
      }
      return dx;
    }),
  );
}

/** Join same-shaped tensors along a new dimension. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new ValueError('stack', 'needs at least one tensor');
  const first = tensors[0]!;
  for (const [i, t] of tensors.entries()) {
    if (!shapesEqual(t.shape, first.shape))
      throw new ShapeError('stack', `tensor ${i} differs in shape`, first.shape, t.shape);
  }
  const a = normAxis('stack', dim, first.ndim + 1);
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}

/** Split into pieces of `size` along `dim` (the last may be smaller). */
export function split(x: Tensor, size: number, dim = 0): Tensor[] {
  const a = normAxis('split', dim, x.ndim);
  if (!Number.isInteger(size) || size <= 0)
    throw new ValueError('split', `size must be a positive integer, got ${size}`);
  const out: Tensor[] = [];
  for (let s = 0; s < x.shape[a]!; s += size) out.push(slice(x, a, s, s + size));
  return out;
}

/**
 * Constant padding, with PyTorch's `F.pad` order: pairs (before, after) starting from the last
 * dimension, e.g. [left, right, top, bottom] for an NCHW image. Negative values crop.
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  if (pads.length % 2 !== 0 || pads.length / 2 > x.ndim) {
    throw new ValueError(
      'pad',
      `pads must hold (before, after) pairs for at most ${x.ndim} dimensions, got ${pads.length} values`,
    );
  }
  const nd = x.ndim;
  const before = new Array<number>(nd).fill(0);
  const after = new Array<number>(nd).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    const d = nd - 1 - i;
    before[d] = pads[2 * i]!;
    after[d] = pads[2 * i + 1]!;
    if (!Number.isInteger(before[d]) || !Number.isInteger(after[d]))
      throw new ValueError('pad', 'pads must be integers');
  }
  const outShape = x.shape.map((s, d) => s + before[d]! + after[d]!);
  if (outShape.some((s) => s < 0))
    throw new ShapeError('pad', 'negative padding crops more than the tensor holds', x.shape, outShape);
  const out = empty(outShape, x.dtype);
  if (value !== 0) out.data.fill(value);
  // Copies the box `count` at `fromOff` in `from` to `toOff` in `to`, a whole innermost row at a
  // time (a typed-array block copy): per element index arithmetic made ZeroPad2d, which the
  // imported Keras networks run before every stride-2 convolution, cost as much as the convolutions.
  const copy = (
    from: Tensor,
    to: Tensor,
    fromOff: readonly number[],
    toOff: readonly number[],
    count: readonly number[],
  ) => {
    if (sizeOf(count) === 0) return;
    if (nd === 0) {
      to.data[0] = from.data[0]!;
      return;
    }
    const fs = stridesOf(from.shape);
    const ts = stridesOf(to.shape);
    const last = nd - 1;
    const row = count[last]!;
    const rows = sizeOf(count.slice(0, last));
    const idx = new Array<number>(last).fill(0);
    for (let k = 0; k < rows; k++) {
      let fi = fromOff[last]!;
      let ti = toOff[last]!;
      for (let d = 0; d < last; d++) {
        fi += (idx[d]! + fromOff[d]!) * fs[d]!;
        ti += (idx[d]! + toOff[d]!) * ts[d]!;
      }
      to.data.set(from.data.subarray(fi, fi + row), ti);
      for (let d = last - 1; d >= 0; d--) {
        idx[d]!++;
        if (idx[d]! < count[d]!) break;
        idx[d] = 0;
      }
    }
  };
  // Region of x that survives (after negative pads crop it).
  const srcOff = before.map((b) => Math.max(0, -b));
  const dstOff = before.map((b) => Math.max(0, b));
  const count = x.shape.map((s, d) => s - srcOff[d]! - Math.max(0, -after[d]!));
  copy(x, out, srcOff, dstOff, count);
  return record('pad', [x], out, (g) => {
    const dx = empty(x.shape, x.dtype);
    copy(g, dx, dstOff, srcOff, count);
    return [dx];
  });
}
