/**
 * Segmentation data from digit canvases (the detection work's `digitCanvases`): each canvas's
 * semantic mask (0 background, 1 + class where a digit's ink dominates) as a
 * {@link SegmentationDataset}.
 */
import type { DetectionSample } from '../data/digit-canvas.js';
import { ValueError } from '../errors.js';
import { SegmentationDataset } from './segmentation-dataset.js';

/**
 * Stack digit canvases (from `digitCanvases` / `loadMnistDetection`) into a segmentation dataset of
 * grey images [1, S, S] and their class masks. `classNames` names the glyph classes (['0', ..., '9']
 * for MNIST); the dataset's classes are 'background' followed by them.
 */
export function canvasSegmentation(
  samples: readonly DetectionSample[],
  classNames: readonly string[],
  source = 'digit canvases',
): SegmentationDataset {
  if (samples.length === 0) throw new ValueError('canvasSegmentation', 'needs at least one canvas');
  const plane = samples[0]!.image.length;
  const side = Math.round(Math.sqrt(plane));
  const images = new Float32Array(samples.length * plane);
  const masks = new Uint8Array(samples.length * plane);
  samples.forEach((s, i) => {
    if (s.image.length !== plane || s.classMask.length !== plane) {
      throw new ValueError('canvasSegmentation', `canvas ${i} is not ${side}x${side} like the first one`);
    }
    images.set(s.image, i * plane);
    masks.set(s.classMask, i * plane);
  });
  return new SegmentationDataset({
    images,
    masks,
    imageShape: [1, side, side],
    numClasses: classNames.length + 1,
    classNames: ['background', ...classNames],
    source,
  });
}
