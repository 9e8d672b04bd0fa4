import { existsSync } from 'node:fs';
import sharp, { type OutputInfo } from 'sharp';
import { DataFileError } from '../data/data-file-error.js';
import { Tensor } from '../tensor/tensor.js';

/** Options of {@link readImageTensor}. */
export interface ReadImageOptions {
  /** 1 (greyscale) or 3 (RGB, the default). */
  channels?: 1 | 3;
  /** Resize (stretching, no crop) to [height, width]; default: the file's own size. */
  size?: readonly [number, number];
}

/**
 * Read a JPEG/PNG/WebP file into a batch of one image [1, C, H, W] with values in [0, 1]
 * (alpha dropped). Node only (sharp).
 */
export async function readImageTensor(path: string, opts: ReadImageOptions = {}): Promise<Tensor> {
  if (!existsSync(path))
    throw new DataFileError('readImageTensor', path, 'no such file', 'pass an existing JPEG or PNG image');
  const c = opts.channels ?? 3;
  let img = sharp(path).removeAlpha();
  img = c === 1 ? img.greyscale() : img.toColourspace('srgb');
  if (opts.size) img = img.resize(opts.size[1], opts.size[0], { fit: 'fill' });
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DataFileError(
      'readImageTensor',
      path,
      `not an image sharp can decode (${(err as Error).message})`,
      'pass a JPEG, PNG or WebP file',
    );
  }
  const { data, info } = raw;
  const hw = info.width * info.height;
  const out = new Float32Array(c * hw);
  for (let p = 0; p < hw; p++)
    for (let ch = 0; ch < c; ch++)
      out[ch * hw + p] = data[p * info.channels + Math.min(ch, info.channels - 1)]! / 255;
  return new Tensor(out, [1, c, info.height, info.width]);
}
