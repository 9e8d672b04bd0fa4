import { centerCrop, padImage } from '../data/augment/crop.js';
import { resizeImage } from '../data/augment/resize.js';
import { ShapeError, ValueError } from '../errors.js';
import { graphInputShape } from '../inspect/trace.js';
import { getDefaultInputShape } from '../nn/default-input.js';
import type { Module } from '../nn/module.js';
import type { ImageFit, Preprocessing } from '../nn/model-card.js';
import { concat } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';
import { convertPlanes, checkChannels } from './image-channels.js';
import { imageReader } from './image-reader.js';
import { imageToTensor } from './image-to-tensor.js';
import { isRawImage, type RawImage } from './raw-image.js';

/** An image `st.preprocess` takes: a file path, encoded bytes, a decoded {@link RawImage} or a `[C, H, W]` tensor in [0, 1]. */
export type ImageInput = string | Uint8Array | RawImage | Tensor;

/** Everything `st.preprocess` applies, resolved from a model's card and its recorded input shape. */
export interface ResolvedPreprocessing {
  size: [number, number] | undefined;
  channels: number;
  colorOrder: 'rgb' | 'bgr';
  scale: number;
  mean: readonly number[];
  std: readonly number[];
  fit: ImageFit;
}

/** The preprocessing `model` asks for, with defaults filled in from its recorded input shape. */
export function resolvePreprocessing(model: Module): ResolvedPreprocessing {
  const p: Preprocessing = model.preprocessing ?? {};
  const shape = getDefaultInputShape(model) ?? graphInputShape(model);
  const fromShape = shape && shape.length === 3 ? shape : undefined;
  const size = p.size ?? (fromShape ? ([fromShape[1]!, fromShape[2]!] as [number, number]) : undefined);
  const channels = p.channels ?? (fromShape && [1, 3, 4].includes(fromShape[0]!) ? fromShape[0]! : 3);
  return {
    size: size ? [size[0], size[1]] : undefined,
    channels,
    colorOrder: p.colorOrder ?? 'rgb',
    scale: p.scale ?? 1 / 255,
    mean: p.mean ?? [0],
    std: p.std ?? [1],
    fit: p.fit ?? 'fill',
  };
}

/** Resize a CHW tensor to `[h, w]` the way `fit` says (bilinear; `contain` pads with 0). */
function fitTensor(x: Tensor, [h, w]: [number, number], fit: ImageFit): Tensor {
  const [, ih, iw] = x.shape as [number, number, number];
  if (ih === h && iw === w) return x;
  if (fit === 'fill') return resizeImage(x, [h, w]);
  const k = fit === 'cover' ? Math.max(h / ih, w / iw) : Math.min(h / ih, w / iw);
  const rh = fit === 'cover' ? Math.max(h, Math.round(ih * k)) : Math.min(h, Math.round(ih * k));
  const rw = fit === 'cover' ? Math.max(w, Math.round(iw * k)) : Math.min(w, Math.round(iw * k));
  const resized = resizeImage(x, [rh, rw]);
  if (fit === 'cover') return centerCrop([h, w])(resized);
  const top = Math.floor((h - rh) / 2);
  const left = Math.floor((w - rw) / 2);
  return padImage(resized, [left, top, w - rw - left, h - rh - top]);
}

/** A `[C, H, W]` (or `[1, C, H, W]`) tensor or raw image as a CHW tensor in [0, 1]. */
function asImageTensor(op: string, image: Tensor | RawImage): Tensor {
  if (!(image instanceof Tensor)) return imageToTensor(image);
  const s = image.shape;
  const shape = s.length === 4 && s[0] === 1 ? s.slice(1) : s;
  if (shape.length !== 3 || ![1, 2, 3, 4].includes(shape[0]!)) {
    throw new ShapeError(
      op,
      'an image tensor must be [C, H, W] or [1, C, H, W] with C = 1 to 4',
      '[C, H, W]',
      s,
      'read files with st.readImage, or pass one image of a batch',
    );
  }
  return shape === s ? image : new Tensor(image.data, shape);
}

/**
 * Apply `model`'s own preprocessing to one decoded image (a `[C, H, W]` tensor in [0, 1] or a
 * {@link RawImage}): resize to its input size, convert channels and colour order, scale and
 * normalize. Returns a batch of one, `[1, C, H, W]`. Synchronous; {@link preprocess} also reads
 * files and bytes.
 */
export function preprocessImage(model: Module, image: Tensor | RawImage, op = 'preprocessImage'): Tensor {
  const r = resolvePreprocessing(model);
  let x = asImageTensor(op, image);
  if (r.size) x = fitTensor(x, r.size, r.fit);
  const [c, h, w] = x.shape as [number, number, number];
  const plane = h * w;
  const outC = checkChannels(op, r.channels, 'model input channels');
  const planes = c === outC ? x.data : convertPlanes(x.data, c, outC, plane, 1);
  const out = new Float32Array(outC * plane);
  for (let ch = 0; ch < outC; ch++) {
    const from = r.colorOrder === 'bgr' && ch < 3 && outC >= 3 ? 2 - ch : ch;
    const mean = r.mean.length === 1 ? r.mean[0]! : r.mean[ch];
    const std = r.std.length === 1 ? r.std[0]! : r.std[ch];
    if (mean === undefined || std === undefined) {
      throw new ValueError(
        op,
        `the model's preprocessing has ${r.mean.length} mean and ${r.std.length} std values for ${outC} input channels. Fix: set model.preprocessing with one value per channel`,
      );
    }
    const k = (255 * r.scale) / std;
    const b = mean / std;
    for (let p = 0; p < plane; p++) out[ch * plane + p] = planes[from * plane + p]! * k - b;
  }
  return new Tensor(out, [1, outC, h, w]);
}

/**
 * Turn images into the batch `model` takes, applying the preprocessing it carries
 * (`model.preprocessing`: input size, channels, colour order, scale, mean/std; its recorded input
 * shape fills in a missing size/channels): `const x = await st.preprocess(model, 'cat.jpg')`, then
 * `model.forward(x)`. Takes a file path, encoded bytes (read with `st.readImage` under Node), a
 * `RawImage`/`ImageData`, a `[C, H, W]` tensor in [0, 1], or a list of them (one batch row each).
 */
export async function preprocess(model: Module, input: ImageInput | readonly ImageInput[]): Promise<Tensor> {
  const op = 'preprocess';
  const one = async (item: ImageInput): Promise<Tensor> => {
    if (typeof item === 'string' || (item instanceof Uint8Array && !isRawImage(item))) {
      const r = resolvePreprocessing(model);
      const decoded = await imageReader(op)(item, {
        ...(r.size ? { size: r.size } : {}),
        fit: r.fit,
        channels: r.channels === 4 ? 4 : 3,
      });
      return preprocessImage(model, decoded, op);
    }
    if (item instanceof Tensor || isRawImage(item)) return preprocessImage(model, item, op);
    throw new ValueError(op, 'expected a file path, image bytes, a RawImage/ImageData or a [C, H, W] tensor');
  };
  if (Array.isArray(input)) {
    if (input.length === 0) throw new ValueError(op, 'got an empty list of images');
    const rows: Tensor[] = [];
    for (const item of input as ImageInput[]) rows.push(await one(item));
    const [c, h, w] = rows[0]!.shape.slice(1);
    rows.forEach((row, i) => {
      if (row.shape[1] !== c || row.shape[2] !== h || row.shape[3] !== w)
        throw new ShapeError(
          op,
          `image ${i} preprocesses to a different size than image 0 (the model records no input size)`,
          [1, c!, h!, w!],
          row.shape,
          'set model.preprocessing = { size: [height, width] } or pass images of one size',
        );
    });
    return concat(rows, 0);
  }
  return one(input as ImageInput);
}
