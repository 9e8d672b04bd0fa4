import { record } from '../autograd/grad-fn.js';
import { ShapeError, ValueError } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';

// Why localResponseNorm still loops in TypeScript rather than calling a Backend kernel (the
// op/kernel line of ARCHITECTURE.md): only ZFNet (src/models/zfnet.ts) uses it, on its first two
// feature maps, which are not on the benchmarked training paths, while a kernel means a forward
// and a backward in three places (the float64 reference, native/src and the wasm exports) plus
// tests of each against the reference. The loops below sum the window's squares in JavaScript
// numbers (float64) with the direct backward beside the forward: the reference such a kernel would
// be checked against once a model needs the speed.

/** Options of {@link localResponseNorm} (PyTorch's defaults). */
export interface LocalResponseNormOptions {
  /** Multiplier of the averaged squares (default 1e-4). */
  alpha?: number;
  /** Exponent of the denominator (default 0.75). */
  beta?: number;
  /** Additive constant of the denominator (default 1). */
  k?: number;
}

/**
 * Local response normalization across channels (AlexNet's LRN), exactly like PyTorch's
 * `F.local_response_norm`: for `x` of shape [N, C, ...],
 *
 *   y[c] = x[c] / (k + alpha / size · Σ_{j = c − ⌊size/2⌋}^{c + ⌊(size−1)/2⌋} x[j]²) ^ beta
 *
 * where channels outside [0, C) count as zeros (the sum is always divided by `size`). The
 * backward is computed directly:
 *
 *   dx[j] = g[j] · d[j]^−β − (2αβ / size) · x[j] · Σ_{c whose window holds j} g[c] · x[c] · d[c]^(−β−1)
 */
export function localResponseNorm(x: Tensor, size: number, opts: LocalResponseNormOptions = {}): Tensor {
  const op = 'localResponseNorm';
  if (x.ndim < 3) {
    throw new ShapeError(
      op,
      'the input needs batch, channel and spatial dimensions',
      '[N, C, L], [N, C, H, W] or higher rank',
      x.shape,
      x.ndim === 2 ? 'add a spatial dimension with x.unsqueeze(2)' : 'add batch and spatial dimensions',
    );
  }
  if (!Number.isInteger(size) || size < 1) {
    throw new ValueError(
      op,
      `size (the number of neighbouring channels) must be a positive integer, got ${size}`,
    );
  }
  const alpha = opts.alpha ?? 1e-4;
  const beta = opts.beta ?? 0.75;
  const k = opts.k ?? 1;
  for (const [name, v] of [
    ['alpha', alpha],
    ['beta', beta],
    ['k', k],
  ] as const) {
    if (!Number.isFinite(v)) throw new ValueError(op, `${name} must be a finite number, got ${String(v)}`);
  }
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const s = sizeOf(x.shape.slice(2));
  const before = Math.floor(size / 2);
  const after = Math.floor((size - 1) / 2);
  const xd = x.data;
  // d = k + alpha/size · windowed sum of squares; p = d^-beta.
  const den = new Float64Array(x.size);
  const pw = new Float64Array(x.size);
  const out = empty(x.shape, x.dtype);
  const od = out.data;
  const coef = alpha / size;
  const acc = new Float64Array(s);
  for (let i = 0; i < n; i++) {
    const sample = i * c * s;
    for (let ch = 0; ch < c; ch++) {
      const lo = Math.max(0, ch - before);
      const hi = Math.min(c - 1, ch + after);
      const base = sample + ch * s;
      acc.fill(0);
      for (let j = lo; j <= hi; j++) {
        const row = sample + j * s;
        for (let q = 0; q < s; q++) {
          const v = xd[row + q]!;
          acc[q]! += v * v;
        }
      }
      for (let q = 0; q < s; q++) {
        const dv = k + coef * acc[q]!;
        const p = Math.pow(dv, -beta);
        den[base + q] = dv;
        pw[base + q] = p;
        od[base + q] = xd[base + q]! * p;
      }
    }
  }
  return record(op, [x], out, (g) => {
    const gd = g.data;
    const dx = empty(x.shape, x.dtype);
    const dd = dx.data;
    // t[c] = g[c] · x[c] · d[c]^(−β−1), then each input channel j collects t over the output
    // channels whose window contains j: c ∈ [j − after, j + before].
    const t = new Float64Array(c * s);
    const f = 2 * coef * beta;
    const acc = new Float64Array(s);
    for (let i = 0; i < n; i++) {
      const sample = i * c * s;
      for (let e = 0; e < c * s; e++) {
        const idx = sample + e;
        t[e] = (gd[idx]! * xd[idx]! * pw[idx]!) / den[idx]!;
      }
      for (let j = 0; j < c; j++) {
        const lo = Math.max(0, j - after);
        const hi = Math.min(c - 1, j + before);
        const base = sample + j * s;
        acc.fill(0);
        for (let ch = lo; ch <= hi; ch++) {
          const row = ch * s;
          for (let q = 0; q < s; q++) acc[q]! += t[row + q]!;
        }
        for (let q = 0; q < s; q++) {
          dd[base + q] = gd[base + q]! * pw[base + q]! - f * xd[base + q]! * acc[q]!;
        }
      }
    }
    return [dx];
  });
}
