import sharp from 'sharp';
import { ShapeError, ValueError } from '../errors.js';
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
  const [c, h, w] = one.shape as [number, number, number];
  const pixels = Buffer.alloc(h * w * c);
  for (let ch = 0; ch < c; ch++)
    for (let p = 0; p < h * w; p++) {
      const v = one.data[ch * h * w + p]!;
      pixels[p * c + ch] = Math.round(Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * 255);
    }
  let img = sharp(pixels, { raw: { width: w, height: h, channels: c as 1 | 3 } });
  if (scale > 1) img = img.resize(w * scale, h * scale, { kernel: 'nearest' });
  if (c === 1) img = img.toColourspace('b-w');
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
  else writeFileAtomic(path, await sharp(Buffer.from(svg)).png().toBuffer());
  return path;
}
