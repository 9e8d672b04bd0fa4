/**
 * Images sent to the inference server: the header is read first (sharp's `metadata()`, which does
 * not decode pixels) to refuse formats other than JPEG/PNG/WebP and images over the pixel limit
 * (decompression bombs: a few KB of PNG can claim gigapixels); only then are the pixels decoded and
 * turned into the model's input.
 */
import { Tensor } from '../tensor/tensor.js';
import { HttpError } from './http-error.js';
import type { ServedModel } from './served-model.js';

/** Turns an uploaded image into one model input `[1, C, H, W]`. */
export type ImagePreprocessor = (image: Buffer, model: ServedModel, maxPixels: number) => Promise<Tensor>;

const FORMATS = ['jpeg', 'png', 'webp'];

type Sharp = typeof import('sharp').default;
let sharpModule: Sharp | null = null;

async function sharpFactory(): Promise<Sharp> {
  sharpModule ??= (await import('sharp')).default;
  return sharpModule;
}

/** Check an upload's format and size from its header, without decoding it; returns sharp's factory. */
export async function checkImageHeader(image: Buffer, maxPixels: number): Promise<Sharp> {
  const sharp = await sharpFactory();
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
  return sharp;
}

/**
 * The default preprocessing: check the header, decode, resize to the model's input size
 * (stretching), gray or RGB by its channel count, values in [0, 1], channels first.
 */
export const resizeToInput: ImagePreprocessor = async (image, model, maxPixels) => {
  const sharp = await checkImageHeader(image, maxPixels);
  const [c, h, w] = model.inputShape as [number, number, number];
  if (model.inputShape.length !== 3 || (c !== 1 && c !== 3))
    throw new HttpError(
      400,
      `model '${model.name}' does not take images (its input is [${model.inputShape.join(', ')}])`,
    );
  let pixels: Buffer;
  try {
    let img = sharp(image, { limitInputPixels: maxPixels }).resize(w, h, { fit: 'fill' }).removeAlpha();
    if (c === 1) img = img.toColourspace('b-w');
    pixels = await img.raw().toBuffer();
  } catch {
    throw new HttpError(
      400,
      'the image could not be decoded (truncated or corrupt); send a complete JPEG, PNG or WebP',
    );
  }
  if (pixels.length !== c * h * w)
    throw new HttpError(400, 'the image decoded to an unexpected number of channels');
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[k * h * w + y * w + x] = pixels[(y * w + x) * c + k]! / 255;
  return new Tensor(out, [1, c, h, w]);
};
