// Node-only: decodes and encodes images with `sharp` (until the shared image module lands).
import { ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';

/** An 8-bit RGB image, HWC bytes. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

async function loadSharp(op: string): Promise<typeof import('sharp').default> {
  try {
    return (await import('sharp')).default;
  } catch (e) {
    throw new ValueError(
      op,
      `the image codec sharp could not be loaded (${(e as Error).message}). Fix: npm install sharp`,
    );
  }
}

/** Decode an image file (PNG, JPEG, WebP, ...) to RGB bytes, alpha dropped, grey expanded. */
export async function readRgbImage(path: string): Promise<RgbImage> {
  const sharp = await loadSharp('readRgbImage');
  try {
    const { data, info } = await sharp(path, { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data), width: info.width, height: info.height };
  } catch (e) {
    throw new ValueError(
      'readRgbImage',
      `${path} does not decode as an image (${(e as Error).message}). Fix: pass a PNG or JPEG file`,
    );
  }
}

/** Resize RGB bytes to width x height (bilinear, as sharp's default 'fill'). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const sharp = await loadSharp('resizeRgb');
  const data = await sharp(Buffer.from(img.data), {
    raw: { width: img.width, height: img.height, channels: 3 },
  })
    .resize({ width, height, fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data), width, height };
}

/** Write RGB (or grey, `channels` 1) bytes HWC as a PNG file, atomically. */
export async function writeRgbPng(
  path: string,
  bytes: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3 = 3,
): Promise<void> {
  if (bytes.length !== width * height * channels) {
    throw new ValueError(
      'writeRgbPng',
      `expected ${width}x${height}x${channels} = ${width * height * channels} bytes, got ${bytes.length}`,
    );
  }
  const sharp = await loadSharp('writeRgbPng');
  const png = await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), {
    raw: { width, height, channels },
  })
    .png()
    .toBuffer();
  writeFileAtomic(path, png);
}
