import type { Tensor } from '../tensor/tensor.js';
import type { ImagePreprocessor } from './image-input-node.js';
import { checkImageRoute } from './route-task.js';
import type { ServedModel } from './served-model.js';
import { topClasses, type ClassScore } from './top-classes.js';

/** How {@link classifyImage} runs a model. */
export interface ClassifyOptions {
  /** Turns the image into the model's input. */
  preprocess: ImagePreprocessor;
  /** Runs the model on `[1, ...inputShape]` (through the batcher in the server). */
  run(x: Tensor): Promise<Tensor>;
  maxPixels: number;
  topK: number;
}

/**
 * The top-k classes of one encoded image (JPEG/PNG/WebP) for a classifier: the shared core of the
 * `/classify` route and the queue workers. Throws an HttpError for a model of another kind
 * ({@link checkImageRoute}), and for images the preprocessing refuses.
 */
export async function classifyImage(
  image: Buffer,
  model: ServedModel,
  o: ClassifyOptions,
): Promise<ClassScore[]> {
  checkImageRoute(model, 'classify');
  const out = await o.run(await o.preprocess(image, model, o.maxPixels));
  return topClasses(out.data as Float32Array, o.topK, model.classNames);
}
