import { resizeLabelsNearest } from '../data/augment/resize.js';
import { ShapeError, ValueError } from '../errors.js';
import { argmax } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';

/** A per-pixel class mask: `labels[r * width + c]` is the class of pixel (r, c). */
export interface LabelMask {
  labels: Uint8Array;
  width: number;
  height: number;
  /** Classes the labels index: K, or 2 (background, foreground) for a one-channel model. */
  numClasses: number;
}

/**
 * The class of each pixel from a segmentation model's scores `[1, K, H, W]`: the highest-scoring
 * class, or for one channel (a foreground probability) 1 where the score is above `threshold`.
 * At most 256 classes (the labels are bytes).
 */
export function labelMask(scores: Tensor, threshold = 0.5): LabelMask {
  if (scores.ndim !== 4 || scores.shape[0] !== 1) {
    throw new ShapeError(
      'labelMask',
      'the model must output score maps for one image',
      '[1, K, H, W]',
      scores.shape,
      'pass a segmentation model',
    );
  }
  const [, k, height, width] = scores.shape as [number, number, number, number];
  if (k > 256) throw new ValueError('labelMask', `a mask holds at most 256 classes, the scores have ${k}`);
  const labels = new Uint8Array(height * width);
  if (k === 1) for (let p = 0; p < labels.length; p++) labels[p] = scores.data[p]! > threshold ? 1 : 0;
  else {
    const am = argmax(scores, 1);
    for (let p = 0; p < labels.length; p++) labels[p] = am.data[p]!;
  }
  return { labels, width, height, numClasses: Math.max(k, 2) };
}

/** `mask` resized to `width` x `height` by nearest neighbour (labels stay whole classes). */
export function resizeLabelMask(mask: LabelMask, width: number, height: number): LabelMask {
  const labels = resizeLabelsNearest(mask.labels, mask.height, mask.width, height, width);
  return { labels, width, height, numClasses: mask.numClasses };
}

/** Pixels of each class of `mask` (index = class). */
export function classPixelCounts(mask: LabelMask): number[] {
  const counts = new Array<number>(mask.numClasses).fill(0);
  for (const v of mask.labels) counts[v]!++;
  return counts;
}
