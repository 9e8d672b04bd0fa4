import { ValueError } from '../../errors.js';
import { allocate } from '../../tensor/dtype.js';
import { defaultRng } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { resizeImage, sizePair, type ImageSize } from './resize.js';
import { checkProbability, checkRange, imageDims, type Transform } from './transform.js';

/** How `padImage` fills the border (torchvision's `padding_mode`). */
export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/**
 * Padding per side: one number for all four, `[leftRight, topBottom]`, or
 * `[left, top, right, bottom]` (torchvision's order).
 */
export type ImagePadding = number | readonly [number, number] | readonly [number, number, number, number];

/** `[left, top, right, bottom]` from an `ImagePadding`. */
function paddingSides(op: string, p: ImagePadding): [number, number, number, number] {
  const s: [number, number, number, number] =
    typeof p === 'number'
      ? [p, p, p, p]
      : p.length === 2
        ? [p[0], p[1], p[0], p[1]]
        : [p[0], p[1], p[2], p[3]];
  if (!s.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ValueError(op, `padding must be non-negative integers, got [${s.join(', ')}]`);
  }
  return s;
}

/** Source index for a padded position `k` (may be outside `[0, n)`), or -1 for the fill value. */
function sourceIndex(k: number, n: number, mode: PaddingMode): number {
  if (k >= 0 && k < n) return k;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return k < 0 ? 0 : n - 1;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((k % period) + period) % period;
      return m < n ? m : period - m;
    }
    case 'symmetric': {
      const period = 2 * n;
      const m = ((k % period) + period) % period;
      return m < n ? m : period - 1 - m;
    }
  }
}

/**
 * Pad a CHW image (torchvision `F.pad`): `constant` fills with `fill`, `edge` repeats the border
 * pixel, `reflect` mirrors without repeating the border (`3 2 | 1 2 3 | 2 1`), `symmetric` mirrors
 * with it (`2 1 | 1 2 3 | 3 2`).
 */
export function padImage(x: Tensor, padding: ImagePadding, mode: PaddingMode = 'constant', fill = 0): Tensor {
  const { c, h, w } = imageDims('padImage', x);
  const [left, top, right, bottom] = paddingSides('padImage', padding);
  const oh = h + top + bottom;
  const ow = w + left + right;
  const src = x.data;
  const out = allocate(x.dtype, c * oh * ow);
  const colSrc = new Int32Array(ow);
  for (let j = 0; j < ow; j++) colSrc[j] = sourceIndex(j - left, w, mode);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < oh; i++) {
      const si = sourceIndex(i - top, h, mode);
      const o = (ch * oh + i) * ow;
      if (si < 0) {
        out.fill(fill, o, o + ow);
        continue;
      }
      const r = (ch * h + si) * w;
      for (let j = 0; j < ow; j++) {
        const sj = colSrc[j]!;
        out[o + j] = sj < 0 ? fill : src[r + sj]!;
      }
    }
  }
  return new Tensor(out, [c, oh, ow]);
}

/** The `height x width` window of a CHW image whose top-left pixel is (`top`, `left`). */
export function cropImage(x: Tensor, top: number, left: number, height: number, width: number): Tensor {
  const { c, h, w } = imageDims('cropImage', x);
  if (
    ![top, left, height, width].every(Number.isInteger) ||
    top < 0 ||
    left < 0 ||
    height <= 0 ||
    width <= 0 ||
    top + height > h ||
    left + width > w
  ) {
    throw new ValueError(
      'cropImage',
      `window top=${top} left=${left} height=${height} width=${width} does not fit inside the ${h}x${w} image`,
    );
  }
  const src = x.data;
  const out = allocate(x.dtype, c * height * width);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < height; i++) {
      const from = (ch * h + top + i) * w + left;
      out.set(src.subarray(from, from + width), (ch * height + i) * width);
    }
  }
  return new Tensor(out, [c, height, width]);
}

/**
 * A transform that cuts the central `size` window (torchvision `CenterCrop`). When the size
 * difference is odd, the extra row/column stays at the bottom/right.
 */
export function centerCrop(size: ImageSize): Transform {
  const [th, tw] = sizePair('centerCrop', size);
  return (x) => {
    const { h, w } = imageDims('centerCrop', x);
    if (th > h || tw > w) {
      throw new ValueError('centerCrop', `crop ${th}x${tw} is larger than the ${h}x${w} image; pad it first`);
    }
    return cropImage(x, Math.floor((h - th) / 2), Math.floor((w - tw) / 2), th, tw);
  };
}

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Padding added before cropping (the classic CIFAR recipe: 32x32 crops with padding 4). */
  padding?: ImagePadding;
  /** Pad further when the image is smaller than the crop (default false). */
  padIfNeeded?: boolean;
  /** Border mode of the padding (default `constant`). */
  paddingMode?: PaddingMode;
  /** Fill value of `constant` padding (default 0). */
  fill?: number;
  /** Probability of cropping at a random place; otherwise the central window is taken (default 1). */
  p?: number;
}

/**
 * Pad, then cut a `size` window at a uniformly random position (torchvision `RandomCrop`): draws
 * the top row in `[0, H' - h]`, then the left column in `[0, W' - w]`.
 */
export function randomCrop(size: ImageSize, opts: RandomCropOptions = {}): Transform {
  const [th, tw] = sizePair('randomCrop', size);
  const mode = opts.paddingMode ?? 'constant';
  const fill = opts.fill ?? 0;
  const p = opts.p ?? 1;
  checkProbability('randomCrop', p);
  if (opts.padding !== undefined) paddingSides('randomCrop', opts.padding);
  return (x, rng) => {
    const r = rng ?? defaultRng();
    let img = opts.padding !== undefined ? padImage(x, opts.padding, mode, fill) : x;
    let { h, w } = imageDims('randomCrop', img);
    if (opts.padIfNeeded && (h < th || w < tw)) {
      const dh = Math.max(0, th - h);
      const dw = Math.max(0, tw - w);
      img = padImage(img, [dw, dh], mode, fill);
      h += 2 * dh;
      w += 2 * dw;
    }
    if (th > h || tw > w) {
      throw new ValueError(
        'randomCrop',
        `crop ${th}x${tw} is larger than the (padded) ${h}x${w} image. Fix: add padding or padIfNeeded: true`,
      );
    }
    if (r.next() >= p) return cropImage(img, Math.floor((h - th) / 2), Math.floor((w - tw) / 2), th, tw);
    const top = r.int(0, h - th + 1);
    const left = r.int(0, w - tw + 1);
    return cropImage(img, top, left, th, tw);
  };
}

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height (default [3/4, 4/3]), drawn log-uniformly. */
  ratio?: readonly [number, number];
  /** Probability of a random crop; otherwise the whole image is resized (default 1). */
  p?: number;
}

/**
 * Cut a window of random area and aspect ratio, then resize it to `size` with bilinear
 * interpolation (torchvision `RandomResizedCrop`, the Inception "scale augmentation"). Up to ten
 * draws look for a window that fits; failing that, the central crop at the nearest allowed ratio
 * is used, as in torchvision.
 */
export function randomResizedCrop(size: ImageSize, opts: RandomResizedCropOptions = {}): Transform {
  const out = sizePair('randomResizedCrop', size);
  const scale = checkRange('randomResizedCrop', 'scale', opts.scale ?? [0.08, 1], 0, Infinity);
  const ratio = checkRange(
    'randomResizedCrop',
    'ratio',
    opts.ratio ?? [3 / 4, 4 / 3],
    Number.MIN_VALUE,
    Infinity,
  );
  const p = opts.p ?? 1;
  checkProbability('randomResizedCrop', p);
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  return (x, rng) => {
    const r = rng ?? defaultRng();
    const { h, w } = imageDims('randomResizedCrop', x);
    if (r.next() >= p) return resizeImage(x, out);
    const area = h * w;
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * r.uniform(scale[0], scale[1]);
      const aspect = Math.exp(r.uniform(logRatio[0], logRatio[1]));
      const cw = Math.round(Math.sqrt(target * aspect));
      const chh = Math.round(Math.sqrt(target / aspect));
      if (cw > 0 && cw <= w && chh > 0 && chh <= h) {
        const top = r.int(0, h - chh + 1);
        const left = r.int(0, w - cw + 1);
        return resizeImage(cropImage(x, top, left, chh, cw), out);
      }
    }
    const inRatio = w / h;
    let cw = w;
    let chh = h;
    if (inRatio < ratio[0]) chh = Math.round(w / ratio[0]);
    else if (inRatio > ratio[1]) cw = Math.round(h * ratio[1]);
    return resizeImage(cropImage(x, Math.floor((h - chh) / 2), Math.floor((w - cw) / 2), chh, cw), out);
  };
}
