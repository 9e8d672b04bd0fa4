/**
 * The three losses of neural style transfer (Gatys, Ecker & Bethge 2016), each summed over the
 * elements of one image and averaged over the batch:
 * - content: `½·Σ(F − P)²` between the generated image's features F and the content image's P;
 * - style: `¼·Σ(Ĝ − Â)²` between normalized Gram matrices (see {@link gramMatrix}), which is the
 *   paper's `E_l = Σ(G − A)² / (4·N_l²·M_l²)` on raw Grams;
 * - total variation: `Σ (x[i, j+1] − x[i, j])^p + (x[i+1, j] − x[i, j])^p` over channels and
 *   positions (p = 2 by default, p = 1 for the anisotropic L1 form), which smooths the image.
 */
import { ShapeError, ValueError } from '../errors.js';
import { abs, add, div, square, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { slice } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { gramMatrix } from './gram-matrix.js';

/**
 * Content loss `½·Σ(F − P)²` per image, averaged over the batch. `target` (the content image's
 * features at the same layer, detached) has the shape of `features`, or batch size 1 (shared).
 */
export function contentLoss(features: Tensor, target: Tensor): Tensor {
  const fits =
    features.ndim >= 2 &&
    target.ndim === features.ndim &&
    (target.shape[0] === features.shape[0] || target.shape[0] === 1) &&
    target.shape.every((d, i) => i === 0 || d === features.shape[i]);
  if (!fits) {
    throw new ShapeError(
      'contentLoss',
      'the target features do not match the generated ones',
      `[${features.shape[0] ?? 'N'} or 1, ${features.shape.slice(1).join(', ')}]`,
      target.shape,
      'take both from the same layer, on images of the same size',
    );
  }
  return div(sum(square(sub(features, target))), 2 * features.shape[0]!);
}

/**
 * Style loss `¼·Σ(Ĝ − Â)²` per image, averaged over the batch: Ĝ is the normalized Gram matrix of
 * `features` [N, C, H, W] and `targetGram` the style image's, [C, C] or [N or 1, C, C] (compute
 * it once with {@link gramMatrix} on the style image's features).
 */
export function styleLoss(features: Tensor, targetGram: Tensor): Tensor {
  const g = gramMatrix(features);
  const [n, c] = g.shape as [number, number, number];
  const ok =
    (targetGram.ndim === 2 && targetGram.shape[0] === c && targetGram.shape[1] === c) ||
    (targetGram.ndim === 3 &&
      (targetGram.shape[0] === n || targetGram.shape[0] === 1) &&
      targetGram.shape[1] === c &&
      targetGram.shape[2] === c);
  if (!ok) {
    throw new ShapeError(
      'styleLoss',
      "the target Gram matrix does not match the features' channels",
      `[${c}, ${c}] or [${n}, ${c}, ${c}]`,
      targetGram.shape,
      'compute the target with st.gramMatrix on the style image features of the same layer',
    );
  }
  return div(sum(square(sub(g, targetGram))), 4 * n);
}

/** Options of {@link totalVariationLoss}. */
export interface TotalVariationOptions {
  /** Exponent of the neighbour differences: 2 (default, squared) or 1 (absolute). */
  power?: 1 | 2;
}

/**
 * Total variation of a batch of images [N, C, H, W]: `Σ d^p` over the horizontal and vertical
 * neighbour differences d of every channel, per image, averaged over the batch.
 */
export function totalVariationLoss(images: Tensor, options: TotalVariationOptions = {}): Tensor {
  if (images.ndim !== 4) {
    throw new ShapeError(
      'totalVariationLoss',
      'expects a batch of images',
      '[N, C, H, W]',
      images.shape,
      'add a batch dimension with unsqueeze(x, 0)',
    );
  }
  const power = options.power ?? 2;
  if (power !== 1 && power !== 2)
    throw new ValueError('totalVariationLoss', `power must be 1 or 2, got ${String(power)}`);
  const [n, , h, w] = images.shape as [number, number, number, number];
  const f = power === 2 ? square : abs;
  const dx = sub(slice(images, 3, 1, w), slice(images, 3, 0, w - 1));
  const dy = sub(slice(images, 2, 1, h), slice(images, 2, 0, h - 1));
  return div(add(sum(f(dx)), sum(f(dy))), n);
}
