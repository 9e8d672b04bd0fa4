import { ShapeError, ValueError } from '../errors.js';
import { abs, add, minimum, pow, relu, sub } from '../ops/elementwise.js';
import type { Reduction } from '../ops/loss.js';
import { mean, sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of {@link tripletMarginLoss}, PyTorch's `TripletMarginLoss` options. */
export interface TripletMarginLossOptions {
  /** Required gap between the anchor-negative and anchor-positive distances (default 1). */
  margin?: number;
  /** Norm degree of the distance (default 2). */
  p?: number;
  /** Added to the differences before the norm (default 1e-6, PyTorch's `pairwise_distance`). */
  eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016). Default false. */
  swap?: boolean;
  /** `'mean'` (default), `'sum'` or `'none'`. */
  reduction?: Reduction;
}

function distance(a: Tensor, b: Tensor, p: number, eps: number): Tensor {
  // PyTorch's pairwise_distance: ‖a − b + eps‖_p over the last dimension.
  return pow(sum(pow(abs(add(sub(a, b), eps)), p), 1), 1 / p);
}

/**
 * The triplet loss (Schroff et al. 2015, FaceNet), exactly `torch.nn.TripletMarginLoss`: for
 * anchors, positives (same identity) and negatives [B, D],
 * `L = max(0, d(a, p) − d(a, n) + margin)` with `d(x, y) = ‖x − y + eps‖_p`, averaged over the
 * batch by default.
 */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginLossOptions = {},
): Tensor {
  const shapes = [anchor, positive, negative];
  if (shapes.some((t) => t.ndim !== 2 || t.shape[0] !== anchor.shape[0] || t.shape[1] !== anchor.shape[1])) {
    throw new ShapeError(
      'tripletMarginLoss',
      'anchor, positive and negative must be batches of embeddings of one shape',
      '[B, D] three times',
      shapes.map((t) => `[${t.shape.join(', ')}]`).join(', '),
      'embed the three images of every triplet with the same network',
    );
  }
  const margin = options.margin ?? 1;
  const p = options.p ?? 2;
  const eps = options.eps ?? 1e-6;
  if (!(p > 0)) throw new ValueError('tripletMarginLoss', `p must be > 0, got ${p}`);
  const dAP = distance(anchor, positive, p, eps);
  let dAN = distance(anchor, negative, p, eps);
  if (options.swap) dAN = minimum(dAN, distance(positive, negative, p, eps));
  const per = relu(add(sub(dAP, dAN), margin));
  const reduction = options.reduction ?? 'mean';
  return reduction === 'none' ? per : reduction === 'sum' ? sum(per) : mean(per);
}
