import { ShapeError } from '../errors.js';
import { add, sqrt, square, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { unsqueeze } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of {@link pairwiseDistances}. */
export interface PairwiseDistanceOptions {
  /** Return squared Euclidean distances (default false). */
  squared?: boolean;
  /**
   * Added under the square root (default 1e-12) so that the gradient is finite where two
   * embeddings coincide (the diagonal); distances are then at least √eps.
   */
  eps?: number;
}

/**
 * Euclidean distances between every pair of rows of `embeddings` [B, D] -> [B, B], with gradients
 * (computed from the differences, not from ‖a‖² + ‖b‖² − 2a·b, so they are exact near zero).
 */
export function pairwiseDistances(embeddings: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  if (embeddings.ndim !== 2) {
    throw new ShapeError(
      'pairwiseDistances',
      'expects one embedding per row',
      '[B, D]',
      embeddings.shape,
      'flatten the embeddings to [batch, dimensions]',
    );
  }
  const d2 = sum(square(sub(unsqueeze(embeddings, 1), unsqueeze(embeddings, 0))), 2);
  return options.squared ? d2 : sqrt(add(d2, options.eps ?? 1e-12));
}
