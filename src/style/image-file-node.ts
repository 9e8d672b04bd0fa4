// Node-only: reads and writes RGB images with `sharp` for style transfer and the face pipeline.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DataFileError } from '../data/data-file-error.js';
import { ShapeError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import { Tensor } from '../tensor/tensor.js';

/** Options of {@link readRgbImage}. */
export interface ReadRgbImageOptions {
  /** Resize so that the longer side is this many pixels (keeping the aspect ratio). */
  maxSide?: number;
}

/**
 * Decode a JPEG/PNG/WebP file (or its bytes) to one RGB image `[1, 3, H, W]` with values in
 * [0, 1]; an alpha channel is dropped, grey images are expanded to RGB. A file that is not an
 * image gets a {@link DataFileError} naming it.
 */
export async function readRgbImage(
  source: string | Uint8Array,
  options: ReadRgbImageOptions = {},
): Promise<Tensor> {
  const name = typeof source === 'string' ? source : '<image bytes>';
  let raw: Buffer;
  let width: number;
  let height: number;
  try {
    const bytes = typeof source === 'string' ? await readFile(source) : source;
    let img = sharp(bytes, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
    if (options.maxSide !== undefined) {
      img = img.resize({ width: options.maxSide, height: options.maxSide, fit: 'inside' });
    }
    const out = await img.raw().toBuffer({ resolveWithObject: true });
    if (out.info.channels !== 3) throw new Error(`decoded to ${out.info.channels} channels, expected 3`);
    raw = out.data;
    width = out.info.width;
    height = out.info.height;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DataFileError(
      'readRgbImage',
      name,
      err.code === 'ENOENT' ? 'no such file' : `not a readable image (${err.message})`,
      'pass a JPEG, PNG or WebP photo',
    );
  }
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[c * plane + p] = raw[p * 3 + c]! / 255;
  return new Tensor(data, [1, 3, height, width]);
}

/** Encode one RGB image `[1, 3, H, W]` or `[3, H, W]` with values in [0, 1] as PNG bytes. */
export async function encodeRgbPng(image: Tensor): Promise<Buffer> {
  const shape = image.ndim === 4 ? image.shape.slice(1) : image.shape;
  if (shape.length !== 3 || shape[0] !== 3 || (image.ndim === 4 && image.shape[0] !== 1)) {
    throw new ShapeError(
      'encodeRgbPng',
      'expects one RGB image',
      '[3, H, W] or [1, 3, H, W]',
      image.shape,
      'pass one image',
    );
  }
  const [, h, w] = shape as [number, number, number];
  const plane = h * w;
  const px = Buffer.alloc(3 * plane);
  const d = image.data;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) px[p * 3 + c] = Math.round(Math.min(1, Math.max(0, d[c * plane + p]!)) * 255);
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

/** Write one RGB image in [0, 1] as a PNG file, atomically. */
export async function writeRgbPng(path: string, image: Tensor): Promise<void> {
  writeFileAtomic(path, await encodeRgbPng(image));
}
