// Node-only: encodes images with `sharp` and writes them atomically.
import { extname } from 'node:path';
import { ValueError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import { Tensor } from '../tensor/tensor.js';
import { rawImageChannels, type RawImage } from './raw-image.js';
import { loadSharp } from './sharp-loader-node.js';
import { tensorToImage, type TensorToImageOptions } from './tensor-to-image.js';

/** Options of {@link writeImage}. */
export interface WriteImageOptions extends TensorToImageOptions {
  /** JPEG/WebP quality 1..100 (default: sharp's, 80). */
  quality?: number;
}

const FORMATS = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' } as const;

/**
 * Write an image file, its format chosen by the extension (`.png`, `.jpg`/`.jpeg`, `.webp`), from
 * a tensor (`[C, H, W]` or `[1, C, H, W]`, C = 1, 3 or 4, values in [0, 1] or [0, 255]; see
 * `tensorToImage`) or a {@link RawImage}. The file is written to a temporary name and renamed, so
 * readers never see half an image. JPEG drops an alpha channel.
 */
export async function writeImage(
  path: string,
  image: Tensor | RawImage,
  opts: WriteImageOptions = {},
): Promise<void> {
  const op = 'writeImage';
  const ext = extname(path).toLowerCase() as keyof typeof FORMATS;
  const format = FORMATS[ext];
  if (!format) {
    throw new ValueError(
      op,
      `${path}: the extension '${ext || '(none)'}' names no image format; use .png, .jpg, .jpeg or .webp`,
    );
  }
  const quality = opts.quality;
  if (quality !== undefined && !(Number.isInteger(quality) && quality >= 1 && quality <= 100))
    throw new ValueError(op, `quality must be an integer in [1, 100], got ${quality}`);
  const raw = image instanceof Tensor ? tensorToImage(image, opts) : image;
  const channels = rawImageChannels(op, raw) as 1 | 2 | 3 | 4;
  const sharp = await loadSharp(op);
  let pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels } });
  if (format === 'jpeg' && (channels === 2 || channels === 4)) pipeline = pipeline.removeAlpha();
  const q = quality === undefined ? {} : { quality };
  const bytes =
    format === 'png'
      ? await pipeline.png().toBuffer()
      : format === 'jpeg'
        ? await pipeline.jpeg(q).toBuffer()
        : await pipeline.webp(q).toBuffer();
  writeFileAtomic(path, bytes);
}
