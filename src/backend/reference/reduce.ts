import type { FloatArray } from '../../tensor/dtype.js';
import type { ReduceOp } from '../backend.js';

/**
 * Reference reduction over a set of axes. The input is viewed as [outer..., inner...] by
 * iterating the kept and reduced dimensions with two odometers; results are accumulated in
 * float64.
 */
export function reduce(
  op: ReduceOp,
  x: FloatArray,
  shape: readonly number[],
  axes: readonly number[],
  out: FloatArray,
  indices?: Int32Array,
): void {
  const nd = shape.length;
  const strides = new Array<number>(nd);
  let acc = 1;
  for (let i = nd - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i]!;
  }
  const isReduced = new Array<boolean>(nd).fill(false);
  for (const a of axes) isReduced[a] = true;
  const keptDims: number[] = [];
  const redDims: number[] = [];
  for (let d = 0; d < nd; d++) (isReduced[d] ? redDims : keptDims).push(d);

  // Offsets of every reduced position, in row-major order over the reduced axes.
  let redCount = 1;
  for (const d of redDims) redCount *= shape[d]!;
  const redOffsets = new Int32Array(redCount);
  {
    const idx = new Array<number>(redDims.length).fill(0);
    let off = 0;
    for (let r = 0; r < redCount; r++) {
      redOffsets[r] = off;
      for (let q = redDims.length - 1; q >= 0; q--) {
        const d = redDims[q]!;
        idx[q]!++;
        off += strides[d]!;
        if (idx[q]! < shape[d]!) break;
        off -= strides[d]! * shape[d]!;
        idx[q] = 0;
      }
    }
  }

  const outCount = out.length;
  const kidx = new Array<number>(keptDims.length).fill(0);
  let base = 0;
  for (let o = 0; o < outCount; o++) {
    if (op === 'sum') {
      let s = 0;
      for (let r = 0; r < redCount; r++) s += x[base + redOffsets[r]!]!;
      out[o] = s;
    } else {
      let best = x[base + redOffsets[0]!]!;
      let bi = 0;
      const isMax = op === 'max';
      for (let r = 1; r < redCount; r++) {
        const v = x[base + redOffsets[r]!]!;
        if (Number.isNaN(best)) break;
        if (Number.isNaN(v) || (isMax ? v > best : v < best)) {
          best = v;
          bi = r;
        }
      }
      out[o] = best;
      if (indices) indices[o] = bi;
    }
    for (let q = keptDims.length - 1; q >= 0; q--) {
      const d = keptDims[q]!;
      kidx[q]!++;
      base += strides[d]!;
      if (kidx[q]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      kidx[q] = 0;
    }
  }
}
