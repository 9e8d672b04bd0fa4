import { ShapeError, ValueError } from '../errors.js';
import { loadSharp } from '../image/sharp-loader-node.js';
import { tensorToImage } from '../image/tensor-to-image.js';
import { writeFileAtomic } from '../io/atomic-write-node.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of {@link imageToPng} and {@link savePng}. */
export interface PngOptions {
  /** Enlarge by this integer factor with nearest-neighbour pixels (default 1), so 5x5 kernels stay visible. */
  scale?: number;
  /** Which image of a batch [N, C, H, W] (default 0). */
  index?: number;
  /** Write an 8-bit palette PNG: several times smaller for photos, with slight colour quantization (default false). */
  palette?: boolean;
}

/**
 * Encode an image [C, H, W] or [N, C, H, W] (C = 1 or 3) with values in [0, 1] (clamped) as PNG
 * bytes, as the viz functions return images. Node only (sharp).
 */
export async function imageToPng(image: Tensor, opts: PngOptions = {}): Promise<Buffer> {
  const op = 'imageToPng';
  const index = opts.index ?? 0;
  const one = image.ndim === 4 ? image.slice(0, index, index + 1).reshape(image.shape.slice(1)) : image;
  if (one.ndim !== 3 || (one.shape[0] !== 1 && one.shape[0] !== 3)) {
    throw new ShapeError(
      op,
      'the image must have 1 or 3 channels',
      '[1|3, H, W] or [N, 1|3, H, W]',
      image.shape,
    );
  }
  const scale = opts.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1)
    throw new ValueError(op, `scale must be a positive integer; got ${scale}`);
  const raw = tensorToImage(one, { range: 'unit' }); // clamps to [0, 1], rounds to bytes
  const sharp = await loadSharp(op);
  let img = sharp(raw.data, {
    raw: { width: raw.width, height: raw.height, channels: raw.channels as 1 | 3 },
  });
  if (scale > 1) img = img.resize(raw.width * scale, raw.height * scale, { kernel: 'nearest' });
  if (raw.channels === 1) img = img.toColourspace('b-w');
  return img.png(opts.palette ? { palette: true } : {}).toBuffer();
}

/** Write an image (see {@link imageToPng}) to a PNG file, atomically. Returns the path. */
export async function savePng(image: Tensor, path: string, opts: PngOptions = {}): Promise<string> {
  writeFileAtomic(path, await imageToPng(image, opts));
  return path;
}

/**
 * Write an SVG chart (from `historyChart` or `confusionChart`) to `path`, atomically: as it is
 * when the path ends in `.svg`, rendered to PNG by sharp otherwise. Text needs a system font
 * (fontconfig); without one, sharp draws the chart without its labels. Returns the path.
 */
export async function saveChart(svg: string, path: string): Promise<string> {
  if (path.toLowerCase().endsWith('.svg')) writeFileAtomic(path, svg);
  else writeFileAtomic(path, await (await loadSharp('saveChart'))(Buffer.from(svg)).png().toBuffer());
  return path;
}
