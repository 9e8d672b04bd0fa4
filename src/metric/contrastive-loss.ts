import { ShapeError, ValueError } from '../errors.js';
import { add, mul, relu, sqrt, square, sub } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import type { Reduction } from '../ops/loss.js';
import { Tensor } from '../tensor/tensor.js';

/** Options of {@link contrastiveLoss}. */
export interface ContrastiveLossOptions {
  /** Dissimilar pairs closer than this are penalized (default 1). */
  margin?: number;
  /** `'mean'` (default), `'sum'` or `'none'` over the pairs. */
  reduction?: Reduction;
}

/**
 * The contrastive loss of given pair distances `d` (any shape) and `same` (1 for a pair of the
 * same identity, 0 otherwise, same shape): `½·same·d² + ½·(1 − same)·max(0, margin − d)²`.
 * Used by {@link contrastiveLoss} and by the batch version in the embedding trainer.
 */
export function contrastiveLossFromDistances(
  d: Tensor,
  same: Tensor,
  options: ContrastiveLossOptions = {},
): Tensor {
  const margin = options.margin ?? 1;
  if (!(margin >= 0)) throw new ValueError('contrastiveLoss', `margin must be >= 0, got ${margin}`);
  if (same.size !== d.size) {
    throw new ShapeError(
      'contrastiveLoss',
      'needs one same/different label per pair',
      d.shape,
      same.shape,
      'pass 1 for same-identity pairs and 0 for different ones',
    );
  }
  const y = same.shape.length === d.shape.length ? same : new Tensor(same.data, d.shape);
  const pos = mul(y, square(d));
  const neg = mul(sub(1, y), square(relu(sub(margin, d))));
  const per = mul(add(pos, neg), 0.5);
  const reduction = options.reduction ?? 'mean';
  return reduction === 'none' ? per : reduction === 'sum' ? sum(per) : mean(per);
}

/**
 * Contrastive loss of a Siamese network (Hadsell, Chopra & LeCun 2006): for embeddings `x1`,
 * `x2` [B, D] of B pairs and `same` [B] (1: same identity, 0: different), with d = ‖x1 − x2‖₂,
 * `L = ½·same·d² + ½·(1 − same)·max(0, margin − d)²`, averaged over the pairs by default.
 * Same pairs are pulled together; different pairs are pushed at least `margin` apart.
 */
export function contrastiveLoss(
  x1: Tensor,
  x2: Tensor,
  same: Tensor,
  options: ContrastiveLossOptions = {},
): Tensor {
  if (x1.ndim !== 2 || x2.ndim !== 2 || x1.shape[0] !== x2.shape[0] || x1.shape[1] !== x2.shape[1]) {
    throw new ShapeError(
      'contrastiveLoss',
      'expects two batches of embeddings of one shape',
      '[B, D] and [B, D]',
      `[${x1.shape.join(', ')}] and [${x2.shape.join(', ')}]`,
      'embed both images of every pair with the same network',
    );
  }
  if (same.size !== x1.shape[0]) {
    throw new ShapeError(
      'contrastiveLoss',
      'needs one label per pair',
      [x1.shape[0]!],
      same.shape,
      'pass a [B] tensor of 1 (same) and 0 (different)',
    );
  }
  const d = sqrt(add(sum(square(sub(x1, x2)), 1), 1e-12));
  return contrastiveLossFromDistances(d, same, options);
}
