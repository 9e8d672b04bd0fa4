import type { FloatArray } from '../../tensor/dtype.js';
import { broadcastStrides, shapesEqual } from '../../tensor/shape.js';
import type { BinaryOp, UnaryOp } from '../backend.js';
import { erf } from './erf.js';

/** Reference element-wise kernel for functions of one argument. */
export function unary(op: UnaryOp, x: FloatArray, y: FloatArray, alpha = 0): void {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) y[i] = -x[i]!;
      return;
    case 'exp':
      for (let i = 0; i < n; i++) y[i] = Math.exp(x[i]!);
      return;
    case 'log':
      for (let i = 0; i < n; i++) y[i] = Math.log(x[i]!);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) y[i] = Math.sqrt(x[i]!);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) y[i] = Math.abs(x[i]!);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) y[i] = Math.sign(x[i]!);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : 0;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        // Numerically stable on both tails.
        if (v >= 0) y[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          y[i] = e / (1 + e);
        }
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
      return;
    case 'leakyRelu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : alpha * v;
      }
      return;
    case 'elu':
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        y[i] = v > 0 ? v : alpha * Math.expm1(v);
      }
      return;
    case 'powScalar':
      if (alpha === 2) for (let i = 0; i < n; i++) y[i] = x[i]! * x[i]!;
      else for (let i = 0; i < n; i++) y[i] = Math.pow(x[i]!, alpha);
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) y[i] = 1 / x[i]!;
      return;
    case 'square':
      for (let i = 0; i < n; i++) y[i] = x[i]! * x[i]!;
      return;
    case 'erf':
      for (let i = 0; i < n; i++) y[i] = erf(x[i]!);
      return;
  }
}

function scalarFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add':
      return (a, b) => a + b;
    case 'sub':
      return (a, b) => a - b;
    case 'mul':
      return (a, b) => a * b;
    case 'div':
      return (a, b) => a / b;
    case 'pow':
      return Math.pow;
    case 'maximum':
      return (a, b) => (a >= b || Number.isNaN(a) ? a : b);
    case 'minimum':
      return (a, b) => (a <= b || Number.isNaN(a) ? a : b);
    case 'eq':
      return (a, b) => (a === b ? 1 : 0);
    case 'gt':
      return (a, b) => (a > b ? 1 : 0);
    case 'ge':
      return (a, b) => (a >= b ? 1 : 0);
    case 'lt':
      return (a, b) => (a < b ? 1 : 0);
    case 'le':
      return (a, b) => (a <= b ? 1 : 0);
    case 'reluGrad':
      return (a, b) => (b > 0 ? a : 0);
  }
}

/** Reference element-wise kernel for functions of two arguments, with NumPy broadcasting. */
export function binary(
  op: BinaryOp,
  a: FloatArray,
  aShape: readonly number[],
  b: FloatArray,
  bShape: readonly number[],
  out: FloatArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  // Fast paths: same shape, or one side a single value.
  if (shapesEqual(aShape, outShape) && shapesEqual(bShape, outShape)) {
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
        return;
      case 'sub':
        for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
        return;
      case 'mul':
        for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
        return;
      case 'div':
        for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
        return;
      default: {
        const f = scalarFn(op);
        for (let i = 0; i < n; i++) out[i] = f(a[i]!, b[i]!);
        return;
      }
    }
  }
  const f = scalarFn(op);
  if (b.length === 1 && shapesEqual(aShape, outShape)) {
    const bv = b[0]!;
    for (let i = 0; i < n; i++) out[i] = f(a[i]!, bv);
    return;
  }
  if (a.length === 1 && shapesEqual(bShape, outShape)) {
    const av = a[0]!;
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]!);
    return;
  }
  // General case: walk the output with an odometer over all but the last dimension; the last
  // dimension is the inner loop.
  const nd = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const last = nd === 0 ? 1 : outShape[nd - 1]!;
  const la = nd === 0 ? 0 : sa[nd - 1]!;
  const lb = nd === 0 ? 0 : sb[nd - 1]!;
  const idx = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o += last) {
    let pa = ia;
    let pb = ib;
    for (let j = 0; j < last; j++) {
      out[o + j] = f(a[pa]!, b[pb]!);
      pa += la;
      pb += lb;
    }
    // Advance the odometer.
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (idx[d]! < outShape[d]!) break;
      ia -= sa[d]! * outShape[d]!;
      ib -= sb[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}
