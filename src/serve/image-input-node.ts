/**
 * Images sent to the inference server: the header is read first (sharp's `metadata()`, which does
 * not decode pixels) to refuse formats other than JPEG/PNG/WebP and images over the pixel limit
 * (decompression bombs: a few KB of PNG can claim gigapixels); only then does `st.preprocess`
 * decode the pixels and apply the preprocessing recorded with the model (input size, channels,
 * colour order, mean/std).
 */
import { ImageFileError } from '../image/image-file-error.js';
import { preprocess } from '../image/preprocess.js';
import { loadSharp } from '../image/sharp-loader-node.js';
import '../node-image.js';
import type { Tensor } from '../tensor/tensor.js';
import { HttpError } from './http-error.js';
import type { ServedModel } from './served-model.js';

/** Turns an uploaded image into one model input `[1, C, H, W]`. */
export type ImagePreprocessor = (image: Buffer, model: ServedModel, maxPixels: number) => Promise<Tensor>;

const FORMATS = ['jpeg', 'png', 'webp'];

/** Check an upload's format and size from its header, without decoding its pixels; its width and height. */
export async function checkImageHeader(
  image: Buffer,
  maxPixels: number,
): Promise<{ width: number; height: number }> {
  const sharp = await loadSharp('serve');
  let meta;
  try {
    meta = await sharp(image, { limitInputPixels: false }).metadata();
  } catch {
    throw new HttpError(400, 'the body is not a readable image; send JPEG, PNG or WebP bytes');
  }
  if (!meta.format || !FORMATS.includes(meta.format))
    throw new HttpError(
      415,
      `unsupported image format '${meta.format ?? 'unknown'}'; send JPEG, PNG or WebP`,
    );
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (!(pixels > 0)) throw new HttpError(400, 'the image header gives no size');
  if (pixels > maxPixels) {
    throw new HttpError(
      413,
      `the image is ${meta.width}x${meta.height} (${pixels} pixels); the server takes at most ${maxPixels} pixels`,
    );
  }
  return { width: meta.width!, height: meta.height! };
}

/**
 * The default preprocessing: check the header, then `st.preprocess(model, bytes)` (the model's
 * recorded preprocessing; without one, resize to its input size, values in [0, 1]).
 */
export const modelPreprocessing: ImagePreprocessor = async (image, model, maxPixels) => {
  await checkImageHeader(image, maxPixels);
  if (model.inputShape.length !== 3)
    throw new HttpError(
      400,
      `model '${model.name}' does not take images (its input is [${model.inputShape.join(', ')}])`,
    );
  try {
    return await preprocess(model.module, image);
  } catch (e) {
    if (e instanceof ImageFileError) throw new HttpError(400, `the image could not be decoded: ${e.problem}`);
    throw e;
  }
};
