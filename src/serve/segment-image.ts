import { classPixelCounts, labelMask, resizeLabelMask, type LabelMask } from '../segmentation/label-mask.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkImageHeader, type ImagePreprocessor } from './image-input-node.js';
import { checkImageRoute } from './route-task.js';
import type { ServedModel } from './served-model.js';

/** How {@link segmentImage} runs a model. */
export interface SegmentOptions {
  preprocess: ImagePreprocessor;
  /** Runs the model on `[1, ...inputShape]` (through the batcher in the server). */
  run(x: Tensor): Promise<Tensor>;
  maxPixels: number;
  /** One-channel models: the probability above which a pixel is foreground (default 0.5). */
  threshold?: number;
}

/** A segmentation answer: the class mask at the uploaded image's size, and its pixels per class. */
export interface SegmentAnswer {
  mask: LabelMask;
  counts: number[];
}

/**
 * Segment one encoded image with a segmentation model: the model's preprocessing, one forward
 * pass, each pixel's class (`st.labelMask`), resized to the image's own size by nearest neighbour
 * (`st.resizeLabelMask`), as `stride segment` does. Throws an HttpError for a model of another
 * kind and for images the preprocessing refuses.
 */
export async function segmentImage(
  image: Buffer,
  model: ServedModel,
  o: SegmentOptions,
): Promise<SegmentAnswer> {
  checkImageRoute(model, 'segment');
  const { width, height } = await checkImageHeader(image, o.maxPixels);
  const scores = await o.run(await o.preprocess(image, model, o.maxPixels));
  const mask = resizeLabelMask(labelMask(scores, o.threshold), width, height);
  return { mask, counts: classPixelCounts(mask) };
}
