import { record } from '../autograd/grad-fn.js';
import { ShapeError, ValueError } from '../errors.js';
import { sizeOf } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { checkChannelParam, checkNonNegative } from './batch-norm.js';

// Why groupNorm (and instanceNorm, through normalizeGroups) still loops in TypeScript rather than
// calling a Backend kernel (the op/kernel line of ARCHITECTURE.md): no model in the zoo uses
// GroupNorm or InstanceNorm2d, so they are on no benchmarked training or inference path, while a
// kernel means a forward and a backward in three places (the float64 reference, native/src and the
// wasm exports) plus tests of each against the reference. The loops below keep the statistics in
// float64 with the closed-form backward beside the forward: the reference such a kernel would be
// checked against once a model needs the speed.

/** Options of {@link groupNorm}. */
export interface GroupNormOptions {
  /** Added to the variance before taking the square root (default 1e-5). */
  eps?: number;
}

/** The output of {@link normalizeGroups} and the statistics it used, one per (sample, group). */
export interface GroupNormResult {
  /** The normalized (and affinely transformed) tensor, recorded for autograd. */
  out: Tensor;
  /** Mean of each (sample, group), sample-major. */
  mean: Float64Array;
  /** Biased variance of each (sample, group), sample-major. */
  variance: Float64Array;
}

/**
 * Normalize `x` ([N, C, ...], already validated) over each group of C/numGroups consecutive
 * channels and all spatial positions of every sample, then apply the optional per-channel weight
 * and bias. Shared by {@link groupNorm} and instance normalization (numGroups = C); `op` names the
 * graph node. The backward is the closed form over each group.
 */
export function normalizeGroups(
  op: string,
  x: Tensor,
  numGroups: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): GroupNormResult {
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const s = sizeOf(x.shape.slice(2));
  const cg = c / numGroups;
  const m = cg * s;
  const xd = x.data;
  const wd = weight?.data;
  const bd = bias?.data;
  const mean = new Float64Array(n * numGroups);
  const variance = new Float64Array(n * numGroups);
  const invstd = new Float64Array(n * numGroups);
  const out = empty(x.shape, x.dtype);
  const od = out.data;
  for (let q = 0; q < n * numGroups; q++) {
    const base = q * m;
    let acc = 0;
    for (let k = 0; k < m; k++) acc += xd[base + k]!;
    const mu = acc / m;
    let ss = 0;
    for (let k = 0; k < m; k++) {
      const d = xd[base + k]! - mu;
      ss += d * d;
    }
    const v = ss / m;
    const is = 1 / Math.sqrt(v + eps);
    mean[q] = mu;
    variance[q] = v;
    invstd[q] = is;
    const ch0 = (q % numGroups) * cg;
    for (let j = 0; j < cg; j++) {
      const ch = ch0 + j;
      const a = is * (wd ? wd[ch]! : 1);
      const b = (bd ? bd[ch]! : 0) - mu * a;
      const off = base + j * s;
      for (let k = 0; k < s; k++) od[off + k] = xd[off + k]! * a + b;
    }
  }

  const inputs: Tensor[] = [x];
  const wi = weight ? inputs.push(weight) - 1 : -1;
  const bi = bias ? inputs.push(bias) - 1 : -1;
  const recorded = record(op, inputs, out, (g, needs) => {
    const grads: (Tensor | null)[] = inputs.map(() => null);
    const gd = g.data;
    const needW = wi >= 0 && needs[wi]!;
    const needB = bi >= 0 && needs[bi]!;
    const dw = new Float64Array(needW ? c : 0);
    const db = new Float64Array(needB ? c : 0);
    const dx = needs[0] ? empty(x.shape, x.dtype) : null;
    for (let q = 0; q < n * numGroups; q++) {
      const base = q * m;
      const mu = mean[q]!;
      const is = invstd[q]!;
      const ch0 = (q % numGroups) * cg;
      // A = sum(dxhat), B = sum(dxhat · xhat) with dxhat = g · weight.
      let sumA = 0;
      let sumB = 0;
      for (let j = 0; j < cg; j++) {
        const ch = ch0 + j;
        const off = base + j * s;
        let sg = 0;
        let sgx = 0;
        for (let k = 0; k < s; k++) {
          const gv = gd[off + k]!;
          sg += gv;
          sgx += gv * (xd[off + k]! - mu);
        }
        sgx *= is;
        const wv = wd ? wd[ch]! : 1;
        sumA += sg * wv;
        sumB += sgx * wv;
        if (needW) dw[ch]! += sgx;
        if (needB) db[ch]! += sg;
      }
      if (dx) {
        // dx = invstd · (dxhat − A/M − xhat · B/M)
        const dd = dx.data;
        const a = sumA / m;
        const bcoef = (sumB / m) * is;
        for (let j = 0; j < cg; j++) {
          const wv = wd ? wd[ch0 + j]! : 1;
          const off = base + j * s;
          for (let k = 0; k < s; k++) {
            dd[off + k] = is * (gd[off + k]! * wv - a - (xd[off + k]! - mu) * bcoef);
          }
        }
      }
    }
    grads[0] = dx;
    if (needW) {
      const t = empty([c], x.dtype);
      t.data.set(dw);
      grads[wi] = t;
    }
    if (needB) {
      const t = empty([c], x.dtype);
      t.data.set(db);
      grads[bi] = t;
    }
    return grads;
  });
  return { out: recorded, mean, variance };
}

/**
 * Group normalization (Wu & He, 2018), like PyTorch's `F.group_norm`: the C channels of `x`
 * ([N, C, ...]) are split into `numGroups` groups of consecutive channels; each group of each
 * sample is normalized by its own mean and biased variance, then scaled and shifted per channel:
 *
 *   y = (x − mean_group) / sqrt(var_group + eps) · weight[c] + bias[c]
 *
 * C must be divisible by `numGroups`. numGroups = 1 normalizes over all of C, H, W (layer norm
 * with per-channel affine); numGroups = C is instance normalization.
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: GroupNormOptions = {},
): Tensor {
  const op = 'groupNorm';
  if (x.ndim < 2) {
    throw new ShapeError(
      op,
      'the input needs a batch and a channel dimension',
      '[N, C, ...]',
      x.shape,
      'add a batch dimension with x.unsqueeze(0)',
    );
  }
  const eps = opts.eps ?? 1e-5;
  checkNonNegative(op, 'eps', eps);
  const c = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1) {
    throw new ValueError(op, `numGroups must be a positive integer, got ${String(numGroups)}`);
  }
  if (c % numGroups !== 0) {
    throw new ShapeError(
      op,
      `the number of channels must be divisible by numGroups = ${numGroups}`,
      `a multiple of ${numGroups} channels`,
      `${c} channels (input [${x.shape.join(', ')}])`,
      `choose numGroups among the divisors of ${c}`,
    );
  }
  const w = checkChannelParam(op, 'weight', weight, c, x);
  const b = checkChannelParam(op, 'bias', bias, c, x);
  const n = x.shape[0]!;
  const s = sizeOf(x.shape.slice(2));
  if (n * (c / numGroups) * s === 1) {
    // PyTorch refuses this case (a single value to normalize per group in a batch of one).
    throw new ValueError(
      op,
      `Expected more than 1 value per group, got input size [${x.shape.join(', ')}] with numGroups = ${numGroups}. ` +
        'Fix: use fewer groups or larger inputs',
    );
  }
  return normalizeGroups(op, x, numGroups, w, b, eps).out;
}
