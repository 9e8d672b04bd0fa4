import { ValueError } from '../../errors.js';
import { allocate } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { imageDims } from './transform.js';

/** A target size: `[height, width]`, or one number for a square. */
export type ImageSize = number | readonly [number, number];

/** `[height, width]` from an `ImageSize`, checked to be positive integers. */
export function sizePair(op: string, size: ImageSize): [number, number] {
  const s: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (!s.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(op, `size must be positive integers [height, width], got [${s.join(', ')}]`);
  }
  return s;
}

/**
 * Resize a CHW image to `[height, width]` with bilinear interpolation, sampling at pixel centres
 * exactly as PyTorch's `F.interpolate(x, size, mode='bilinear', align_corners=False)` (no
 * anti-aliasing, so strong downscaling skips pixels).
 */
export function resizeImage(x: Tensor, size: ImageSize): Tensor {
  const { c, h, w } = imageDims('resizeImage', x);
  const [oh, ow] = sizePair('resizeImage', size);
  if (oh === h && ow === w) return new Tensor(x.data.slice(), x.shape);
  const rows = axisWeights(h, oh);
  const cols = axisWeights(w, ow);
  const src = x.data;
  const out = allocate(x.dtype, c * oh * ow);
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    for (let i = 0; i < oh; i++) {
      const r0 = plane + rows.i0[i]! * w;
      const r1 = plane + rows.i1[i]! * w;
      const wr1 = rows.l1[i]!;
      const wr0 = 1 - wr1;
      const o = (ch * oh + i) * ow;
      for (let j = 0; j < ow; j++) {
        const c0 = cols.i0[j]!;
        const c1 = cols.i1[j]!;
        const wc1 = cols.l1[j]!;
        const wc0 = 1 - wc1;
        out[o + j] =
          wr0 * (wc0 * src[r0 + c0]! + wc1 * src[r0 + c1]!) +
          wr1 * (wc0 * src[r1 + c0]! + wc1 * src[r1 + c1]!);
      }
    }
  }
  return new Tensor(out, [c, oh, ow]);
}

/**
 * Resize a label map (`h` x `w` labels, row-major) to `oh` x `ow` with nearest-neighbour sampling,
 * as PyTorch's `F.interpolate(mode='nearest')` picks the source pixel (row floor(i·h/oh), column
 * floor(j·w/ow)): every output label is copied from the input, never blended, so a mask keeps only
 * the labels it had.
 */
export function resizeLabelsNearest(
  labels: Uint8Array,
  h: number,
  w: number,
  oh: number,
  ow: number,
): Uint8Array {
  if (labels.length !== h * w) {
    throw new ValueError(
      'resizeLabelsNearest',
      `a ${h}x${w} label map needs ${h * w} labels, got ${labels.length}`,
    );
  }
  if (oh === h && ow === w) return labels.slice();
  const out = new Uint8Array(oh * ow);
  const cols = Int32Array.from({ length: ow }, (_, j) => Math.min(Math.floor((j * w) / ow), w - 1));
  for (let i = 0; i < oh; i++) {
    const row = Math.min(Math.floor((i * h) / oh), h - 1) * w;
    for (let j = 0; j < ow; j++) out[i * ow + j] = labels[row + cols[j]!]!;
  }
  return out;
}

/** PyTorch's source indices and weights for one axis (align_corners=False). */
function axisWeights(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; l1: Float64Array } {
  const scale = inSize / outSize;
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const l1 = new Float64Array(outSize);
  for (let d = 0; d < outSize; d++) {
    const s = Math.max(scale * (d + 0.5) - 0.5, 0);
    const lo = Math.min(Math.floor(s), inSize - 1);
    i0[d] = lo;
    i1[d] = lo < inSize - 1 ? lo + 1 : lo;
    l1[d] = s - lo;
  }
  return { i0, i1, l1 };
}
