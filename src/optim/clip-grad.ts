import { ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

function gradsOf(params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const grads: Tensor[] = [];
  for (const p of list) if (p.grad !== null) grads.push(p.grad);
  return grads;
}

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite instead of scaling by it. Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Rescale the gradients of `params` in place so that their total norm (all gradients taken as one
 * vector) is at most `maxNorm`, like `torch.nn.utils.clip_grad_norm_`: with total norm N, every
 * gradient is multiplied by `maxNorm / (N + 1e-6)` when that is below 1. Parameters without a
 * gradient are skipped.
 *
 * @param normType the p of the p-norm (> 0), or `Infinity` for the largest absolute value.
 * @returns the total norm of the gradients before clipping (0 when none has a gradient).
 */
export function clipGradNorm(
  params: Iterable<Tensor> | Tensor,
  maxNorm: number,
  normType = 2,
  opts: ClipGradNormOptions = {},
): number {
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) {
    throw new ValueError('clipGradNorm', `maxNorm must be a number, got ${maxNorm}`);
  }
  if (typeof normType !== 'number' || !(normType > 0)) {
    throw new ValueError(
      'clipGradNorm',
      `normType must be a number > 0 or Infinity, got ${normType}. Fix: use 2 (Euclidean), 1 or Infinity`,
    );
  }
  const grads = gradsOf(params);
  if (grads.length === 0) return 0;
  let total = 0;
  if (normType === Infinity) {
    for (const g of grads) for (const v of g.data) total = Math.max(total, Math.abs(v));
    for (const g of grads) for (const v of g.data) if (Number.isNaN(v)) total = NaN;
  } else if (normType === 2) {
    let s = 0;
    for (const g of grads) for (const v of g.data) s += v * v;
    total = Math.sqrt(s);
  } else if (normType === 1) {
    for (const g of grads) for (const v of g.data) total += Math.abs(v);
  } else {
    let s = 0;
    for (const g of grads) for (const v of g.data) s += Math.abs(v) ** normType;
    total = s ** (1 / normType);
  }
  if (opts.errorIfNonfinite && !Number.isFinite(total)) {
    throw new ValueError(
      'clipGradNorm',
      `the total norm of the gradients is ${total}, so they cannot be clipped. ` +
        'Fix: look for NaN/Inf in the loss or lower the learning rate; pass errorIfNonfinite: false to scale anyway',
    );
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1 || Number.isNaN(coef)) {
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) d[i] = d[i]! * coef;
    }
  }
  return total;
}

/**
 * Clamp every gradient element of `params` to `[-clipValue, clipValue]` in place, like
 * `torch.nn.utils.clip_grad_value_`. Parameters without a gradient are skipped.
 */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0)) {
    throw new ValueError('clipGradValue', `clipValue must be a number >= 0, got ${clipValue}`);
  }
  for (const g of gradsOf(params)) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v > clipValue) d[i] = clipValue;
      else if (v < -clipValue) d[i] = -clipValue;
    }
  }
}
