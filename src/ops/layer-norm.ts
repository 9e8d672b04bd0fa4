import { record } from '../autograd/grad-fn.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { shapesEqual, sizeOf } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { checkNonNegative } from './batch-norm.js';

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance before taking the square root (default 1e-5). */
  eps?: number;
}

// Why layerNorm still loops in TypeScript rather than calling a Backend kernel (the op/kernel
// line of ARCHITECTURE.md): no model in the zoo uses LayerNorm, so it is on no benchmarked
// training or inference path, while a kernel means a forward and a backward in three places (the
// float64 reference, native/src and the wasm exports) plus tests of each against the reference.
// The loops below sum in JavaScript numbers (float64) with the closed-form backward beside the
// forward: the reference such a kernel would be checked against once a model needs the speed.

function checkAffine(op: string, name: string, p: Tensor | null, ns: readonly number[], x: Tensor): void {
  if (!p) return;
  if (!shapesEqual(p.shape, ns)) {
    throw new ShapeError(
      op,
      `${name} must have the normalized shape`,
      ns,
      p.shape,
      `pass a ${name} of shape [${ns.join(', ')}] (normalizedShape)`,
    );
  }
  if (p.dtype !== x.dtype) throw new DTypeError(op, x.dtype, p.dtype);
}

/**
 * Layer normalization (Ba et al., 2016), like PyTorch's `F.layer_norm`: each sample is normalized
 * over its last dimensions, those of `normalizedShape`, by their mean and biased variance, then
 * scaled and shifted element-wise by `weight` and `bias` (both of shape `normalizedShape`):
 *
 *   y = (x − mean) / sqrt(var + eps) · weight + bias
 *
 * The backward is the closed form per normalized row.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: LayerNormOptions = {},
): Tensor {
  const op = 'layerNorm';
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  if (ns.length === 0) {
    throw new ValueError(
      op,
      'normalizedShape must contain at least one dimension, got []. ' +
        'Fix: pass the trailing dimensions to normalize over, e.g. [x.shape.at(-1)]',
    );
  }
  const eps = opts.eps ?? 1e-5;
  checkNonNegative(op, 'eps', eps);
  const tail = x.shape.slice(x.ndim - ns.length);
  if (x.ndim < ns.length || !shapesEqual(tail, ns)) {
    throw new ShapeError(
      op,
      'the last dimensions of the input must equal normalizedShape',
      `[*, ${ns.join(', ')}]`,
      x.shape,
      'pass as normalizedShape the trailing dimensions of the input to normalize over',
    );
  }
  checkAffine(op, 'weight', weight, ns, x);
  checkAffine(op, 'bias', bias, ns, x);

  const d = sizeOf(ns);
  const rows = d === 0 ? 0 : x.size / d;
  const xd = x.data;
  const wd = weight?.data;
  const bd = bias?.data;
  const mean = new Float64Array(rows);
  const invstd = new Float64Array(rows);
  const out = empty(x.shape, x.dtype);
  const od = out.data;
  for (let r = 0; r < rows; r++) {
    const base = r * d;
    let acc = 0;
    for (let j = 0; j < d; j++) acc += xd[base + j]!;
    const mu = acc / d;
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const v = xd[base + j]! - mu;
      ss += v * v;
    }
    const is = 1 / Math.sqrt(ss / d + eps);
    mean[r] = mu;
    invstd[r] = is;
    for (let j = 0; j < d; j++) {
      const xhat = (xd[base + j]! - mu) * is;
      od[base + j] = xhat * (wd ? wd[j]! : 1) + (bd ? bd[j]! : 0);
    }
  }

  const inputs: Tensor[] = [x];
  const wi = weight ? inputs.push(weight) - 1 : -1;
  const bi = bias ? inputs.push(bias) - 1 : -1;
  return record(op, inputs, out, (g, needs) => {
    const grads: (Tensor | null)[] = inputs.map(() => null);
    const gd = g.data;
    const needW = wi >= 0 && needs[wi]!;
    const needB = bi >= 0 && needs[bi]!;
    const dw = new Float64Array(needW ? d : 0);
    const db = new Float64Array(needB ? d : 0);
    const dx = needs[0] ? empty(x.shape, x.dtype) : null;
    for (let r = 0; r < rows; r++) {
      const base = r * d;
      const mu = mean[r]!;
      const is = invstd[r]!;
      // A = sum(dxhat), B = sum(dxhat · xhat) with dxhat = g · weight.
      let sumA = 0;
      let sumB = 0;
      for (let j = 0; j < d; j++) {
        const gv = gd[base + j]!;
        const xhat = (xd[base + j]! - mu) * is;
        const dxhat = gv * (wd ? wd[j]! : 1);
        sumA += dxhat;
        sumB += dxhat * xhat;
        if (needW) dw[j]! += gv * xhat;
        if (needB) db[j]! += gv;
      }
      if (dx) {
        // dx = invstd · (dxhat − A/D − xhat · B/D)
        const dd = dx.data;
        const a = sumA / d;
        const b = sumB / d;
        for (let j = 0; j < d; j++) {
          const xhat = (xd[base + j]! - mu) * is;
          dd[base + j] = is * (gd[base + j]! * (wd ? wd[j]! : 1) - a - xhat * b);
        }
      }
    }
    grads[0] = dx;
    if (needW) {
      const t = empty(ns, x.dtype);
      t.data.set(dw);
      grads[wi] = t;
    }
    if (needB) {
      const t = empty(ns, x.dtype);
      t.data.set(db);
      grads[bi] = t;
    }
    return grads;
  });
}
