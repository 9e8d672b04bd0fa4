import type { Tensor } from '../tensor/tensor.js';
import type { ImagePreprocessor } from './image-input-node.js';
import { checkImageRoute } from './route-task.js';
import type { ServedModel } from './served-model.js';

/** How {@link embedImage} runs a model. */
export interface EmbedOptions {
  preprocess: ImagePreprocessor;
  /** Runs the model on `[1, ...inputShape]` (through the batcher in the server). */
  run(x: Tensor): Promise<Tensor>;
  maxPixels: number;
}

/**
 * The embedding of one encoded image: the model's preprocessing and one forward pass, the output
 * vector as it is (not re-normalized). Throws an HttpError for a model whose task is not
 * 'embedding' and for images the preprocessing refuses.
 */
export async function embedImage(image: Buffer, model: ServedModel, o: EmbedOptions): Promise<number[]> {
  checkImageRoute(model, 'embed');
  const out = await o.run(await o.preprocess(image, model, o.maxPixels));
  return Array.from(out.data);
}
