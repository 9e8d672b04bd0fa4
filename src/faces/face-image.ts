/**
 * The image preparation face-api applies before each of its networks, on CHW float images with
 * values 0..255: zero-padding to a square (at the bottom/right, or split around the image with
 * the larger half after it, as face-api's `padToSquare`), TensorFlow's legacy bilinear resize
 * (`tf.image.resizeBilinear` without half-pixel centres or corner alignment), and cropping.
 */
import { ShapeError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** A CHW image: the values and their size. */
export interface ChwImage {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** Accept [3, H, W] or [1, 3, H, W] tensors with values in [0, 1]; return CHW values 0..255. */
export function toChw255(op: string, image: Tensor): ChwImage {
  const shape = image.ndim === 4 && image.shape[0] === 1 ? image.shape.slice(1) : image.shape;
  if (shape.length !== 3 || shape[0] !== 3) {
    throw new ShapeError(
      op,
      'expects one RGB image with values in [0, 1]',
      '[3, H, W] or [1, 3, H, W]',
      image.shape,
      'read the photo with st.readImage',
    );
  }
  const data = new Float32Array(image.size);
  const src = image.data;
  for (let i = 0; i < data.length; i++) data[i] = src[i]! * 255;
  return { data, channels: 3, height: shape[1]!, width: shape[2]! };
}

/** Zero-pad the shorter side to make the image square (face-api's `padToSquare`). */
export function padToSquare(img: ChwImage, centered: boolean): ChwImage {
  const { height: h, width: w, channels: c } = img;
  if (h === w) return img;
  const s = Math.max(h, w);
  const diff = s - Math.min(h, w);
  const after = Math.round(diff * (centered ? 0.5 : 1));
  const before = centered ? diff - after : 0;
  const top = h < w ? before : 0;
  const left = w < h ? before : 0;
  const data = new Float32Array(c * s * s);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++)
      data.set(img.data.subarray((ch * h + y) * w, (ch * h + y + 1) * w), (ch * s + y + top) * s + left);
  return { data, channels: c, height: s, width: s };
}

/**
 * TensorFlow's legacy bilinear resize (`tf.image.resizeBilinear(x, size, false, false)`): the
 * source coordinate of output pixel i is `i · in / out`, neighbours clamped at the border.
 */
export function resizeBilinearTf(img: ChwImage, outH: number, outW: number): ChwImage {
  const { height: h, width: w, channels: c } = img;
  if (h === outH && w === outW) return img;
  const data = new Float32Array(c * outH * outW);
  const sy = h / outH;
  const sx = w / outW;
  for (let y = 0; y < outH; y++) {
    const fy = y * sy;
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = x * sx;
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      for (let ch = 0; ch < c; ch++) {
        const p = ch * h * w;
        const top =
          img.data[p + y0 * w + x0]! + (img.data[p + y0 * w + x1]! - img.data[p + y0 * w + x0]!) * dx;
        const bottom =
          img.data[p + y1 * w + x0]! + (img.data[p + y1 * w + x1]! - img.data[p + y1 * w + x0]!) * dx;
        data[(ch * outH + y) * outW + x] = top + (bottom - top) * dy;
      }
    }
  }
  return { data, channels: c, height: outH, width: outW };
}

/** The pixels inside an integer box (x, y, width, height), which must lie inside the image. */
export function cropChw(img: ChwImage, x: number, y: number, width: number, height: number): ChwImage {
  const { channels: c, width: w, height: h } = img;
  const data = new Float32Array(c * width * height);
  for (let ch = 0; ch < c; ch++)
    for (let r = 0; r < height; r++)
      data.set(
        img.data.subarray((ch * h + y + r) * w + x, (ch * h + y + r) * w + x + width),
        (ch * height + r) * width,
      );
  return { data, channels: c, height, width };
}

/**
 * Pad to a square (centred or not), resize to `size` x `size`, and return a [1, C, size, size]
 * tensor that owns its values (callers normalize it in place).
 */
export function squareInput(img: ChwImage, size: number, centered: boolean): Tensor {
  const r = resizeBilinearTf(padToSquare(img, centered), size, size);
  return new Tensor(r.data === img.data ? r.data.slice() : r.data, [1, r.channels, size, size]);
}
