import { ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { TENSOR_IMAGE_CHANNELS } from './image-channels.js';
import type { RawImage } from './raw-image.js';

/** Options of {@link tensorToImage}. */
export interface TensorToImageOptions {
  /**
   * The value range of the tensor: `unit` ([0, 1], scaled by 255) or `byte` ([0, 255]). Default:
   * `byte` when any value exceeds 1, else `unit`. Values outside the range are clamped.
   */
  range?: 'unit' | 'byte';
}

/**
 * A tensor image as bytes: `[C, H, W]` or `[1, C, H, W]` with C = 1, 3 or 4, values in [0, 1] or
 * in [0, 255] (see {@link TensorToImageOptions.range}), rounded and clamped into a {@link RawImage}
 * (HWC) that `st.writeImage`, sharp or a canvas take.
 */
export function tensorToImage(t: Tensor, opts: TensorToImageOptions = {}): RawImage {
  const op = 'tensorToImage';
  let shape = t.shape;
  if (shape.length === 4 && shape[0] === 1) shape = shape.slice(1);
  if (shape.length !== 3 || !TENSOR_IMAGE_CHANNELS.includes(shape[0]!)) {
    throw new ShapeError(
      op,
      'an image tensor must be [C, H, W] or [1, C, H, W] with C = 1, 3 or 4',
      '[C, H, W] with C in {1, 3, 4}',
      t.shape,
      'move channels first (st.permute(x, [2, 0, 1])) or take one image of the batch',
    );
  }
  const [c, h, w] = shape as [number, number, number];
  const src = t.data;
  let max = -Infinity;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (Number.isNaN(v))
      throw new ValueError(op, `the tensor holds NaN at flat index ${i}; an image needs finite values`);
    if (v > max) max = v;
  }
  const range = opts.range ?? (max > 1 ? 'byte' : 'unit');
  if (range !== 'unit' && range !== 'byte')
    throw new ValueError(op, `range must be 'unit' or 'byte', got '${String(range)}'`);
  const k = range === 'unit' ? 255 : 1;
  const plane = h * w;
  const data = new Uint8Array(plane * c);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < plane; p++) {
      const v = Math.round(src[ch * plane + p]! * k);
      data[p * c + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data, width: w, height: h, channels: c };
}
