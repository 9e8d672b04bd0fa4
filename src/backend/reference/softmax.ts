/**
 * The softmax, log-softmax and logSumExp kernels along the middle axis of an [outer, n, inner] view
 * (element (o, k, i) at (o·n + k)·inner + i), with their backwards written out:
 * - softmax: dx = y ⊙ (g - Σ g⊙y)
 * - logSoftmax: dx = g - e^y · Σ g
 * - logSumExp: dx = g · e^(x - y)
 * Sums are kept in float64. The native backend has its own softmax, logSoftmax and logSumExp
 * (native/src/softmax.cc), checked against these.
 */
import type { FloatArray } from '../../tensor/dtype.js';
import type { DimParams, SoftmaxParams } from '../backend.js';

/**
 * For one outer slice: m[i] = max over k (0 when that maximum is ±∞, so all--∞ slices give -∞ and
 * slices with +∞ give +∞ rather than NaN) and s[i] = Σₖ e^(x - m[i]).
 */
export function maxAndSumExp(
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

/** y = softmax(x) or log(softmax(x)) (`p.log`) along the middle axis. */
export function softmax(p: SoftmaxParams, x: FloatArray, y: FloatArray): void {
  const { outer, n, inner } = p;
  const m = new Float64Array(inner);
  const s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    maxAndSumExp(x, base, n, inner, m, s);
    if (p.log) {
      for (let i = 0; i < inner; i++) s[i] = m[i]! + Math.log(s[i]!);
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) y[row + i] = x[row + i]! - s[i]!;
      }
    } else {
      for (let i = 0; i < inner; i++) s[i] = 1 / s[i]!;
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) y[row + i] = Math.exp(x[row + i]! - m[i]!) * s[i]!;
      }
    }
  }
}

/** dx from the forward's output y and the output gradient g (see the file notes). */
export function softmaxBackward(p: SoftmaxParams, y: FloatArray, g: FloatArray, dx: FloatArray): void {
  const { outer, n, inner } = p;
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const row = base + k * inner;
      if (p.log) for (let i = 0; i < inner; i++) acc[i] = acc[i]! + g[row + i]!;
      else for (let i = 0; i < inner; i++) acc[i] = acc[i]! + g[row + i]! * y[row + i]!;
    }
    for (let k = 0; k < n; k++) {
      const row = base + k * inner;
      if (p.log) for (let i = 0; i < inner; i++) dx[row + i] = g[row + i]! - Math.exp(y[row + i]!) * acc[i]!;
      else for (let i = 0; i < inner; i++) dx[row + i] = y[row + i]! * (g[row + i]! - acc[i]!);
    }
  }
}

/** y[o·inner + i] = log Σₖ e^x along the middle axis (y holds outer·inner values). */
export function logSumExp(p: DimParams, x: FloatArray, y: FloatArray): void {
  const { outer, n, inner } = p;
  const m = new Float64Array(inner);
  const s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    maxAndSumExp(x, o * n * inner, n, inner, m, s);
    for (let i = 0; i < inner; i++) y[o * inner + i] = m[i]! + Math.log(s[i]!);
  }
}

/** dx = g · e^(x - y), g and y holding one value per (outer, inner) pair. */
export function logSumExpBackward(
  p: DimParams,
  x: FloatArray,
  y: FloatArray,
  g: FloatArray,
  dx: FloatArray,
): void {
  const { outer, n, inner } = p;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const row = (o * n + k) * inner;
      for (let i = 0; i < inner; i++) {
        const r = o * inner + i;
        dx[row + i] = g[r]! * Math.exp(x[row + i]! - y[r]!);
      }
    }
  }
}
