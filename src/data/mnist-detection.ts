// Node-only: reads MNIST through loadMnist.
import { digitCanvases, type DetectionSample, type DigitCanvasOptions } from './digit-canvas.js';
import { loadMnist, type DatasetSplit } from './mnist.js';

/** Options of {@link loadMnistDetection}. */
export interface MnistDetectionOptions extends Omit<DigitCanvasOptions, 'count'> {
  /** Which MNIST split the digits come from: 'train' or 'test' (default 'train'). */
  split?: DatasetSplit;
  /** Number of canvases (default 5000). */
  count?: number;
  /** Use only the first `digits` MNIST images of the split (default all). */
  digits?: number;
}

/**
 * MNIST detection: canvases (64x64 by default) with 1-3 MNIST digits pasted at random positions
 * and sizes, with boxes, classes and per-pixel masks (see `digitCanvases`). Train canvases use
 * only MNIST's training digits and test canvases only its test digits; seeded.
 */
export function loadMnistDetection(opts: MnistDetectionOptions = {}): DetectionSample[] {
  const split = opts.split ?? 'train';
  const mnist = loadMnist({ split, ...(opts.digits !== undefined ? { limit: opts.digits } : {}) });
  return digitCanvases(mnist.data, mnist.labels, 28, {
    ...opts,
    count: opts.count ?? 5000,
    seed: opts.seed ?? (split === 'train' ? 1 : 2),
  });
}
