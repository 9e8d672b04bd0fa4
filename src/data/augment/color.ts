import { ValueError } from '../../errors.js';
import { allocate, type FloatArray } from '../../tensor/dtype.js';
import { defaultRng } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkProbability, imageDims, type Transform } from './transform.js';

// The colour functions follow torchvision's tensor versions: images are CHW floats in [0, 1]
// (apply them before normalization), results are clamped to [0, 1], and saturation and hue leave
// one-channel images unchanged.

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Luma of an RGB image per pixel (ITU-R 601-2, torchvision's weights 0.2989, 0.587, 0.114). */
function luma(src: FloatArray, plane: number): Float64Array {
  const out = new Float64Array(plane);
  for (let k = 0; k < plane; k++)
    out[k] = 0.2989 * src[k]! + 0.587 * src[plane + k]! + 0.114 * src[2 * plane + k]!;
  return out;
}

function checkFactor(op: string, f: number): void {
  if (!(f >= 0) || !Number.isFinite(f))
    throw new ValueError(op, `factor must be a finite number >= 0, got ${f}`);
}

function checkColorImage(op: string, x: Tensor): { c: number; plane: number } {
  const { c, h, w } = imageDims(op, x);
  if (c !== 1 && c !== 3) {
    throw new ValueError(op, `expected a 1-channel (gray) or 3-channel (RGB) image, got ${c} channels`);
  }
  return { c, plane: h * w };
}

/** Multiply every value by `factor` (0 gives black, 1 the original), clamped to [0, 1]. */
export function adjustBrightness(x: Tensor, factor: number): Tensor {
  checkFactor('adjustBrightness', factor);
  checkColorImage('adjustBrightness', x);
  const out = allocate(x.dtype, x.size);
  for (let k = 0; k < x.size; k++) out[k] = clamp01(factor * x.data[k]!);
  return new Tensor(out, x.shape);
}

/**
 * Blend with the image's mean gray level: `factor·x + (1 - factor)·mean` (0 gives a flat gray
 * image, 1 the original), clamped to [0, 1].
 */
export function adjustContrast(x: Tensor, factor: number): Tensor {
  checkFactor('adjustContrast', factor);
  const { c, plane } = checkColorImage('adjustContrast', x);
  let mean = 0;
  if (c === 3) {
    const g = luma(x.data, plane);
    for (let k = 0; k < plane; k++) mean += g[k]!;
  } else {
    for (let k = 0; k < plane; k++) mean += x.data[k]!;
  }
  mean /= plane;
  const out = allocate(x.dtype, x.size);
  for (let k = 0; k < x.size; k++) out[k] = clamp01(factor * x.data[k]! + (1 - factor) * mean);
  return new Tensor(out, x.shape);
}

/**
 * Blend each pixel with its own gray level: `factor·x + (1 - factor)·gray` (0 gives grayscale,
 * 1 the original), clamped to [0, 1]. A one-channel image is returned unchanged.
 */
export function adjustSaturation(x: Tensor, factor: number): Tensor {
  checkFactor('adjustSaturation', factor);
  const { c, plane } = checkColorImage('adjustSaturation', x);
  if (c === 1) return x;
  const g = luma(x.data, plane);
  const out = allocate(x.dtype, x.size);
  for (let ch = 0; ch < 3; ch++) {
    for (let k = 0; k < plane; k++) {
      const i = ch * plane + k;
      out[i] = clamp01(factor * x.data[i]! + (1 - factor) * g[k]!);
    }
  }
  return new Tensor(out, x.shape);
}

/**
 * Rotate the hue of an RGB image by `shift` turns (in [-0.5, 0.5]; 0.5 swaps each colour for its
 * complement) through HSV, as torchvision's `adjust_hue`. A one-channel image is returned
 * unchanged.
 */
export function adjustHue(x: Tensor, shift: number): Tensor {
  if (!(shift >= -0.5 && shift <= 0.5)) {
    throw new ValueError('adjustHue', `hue shift must be in [-0.5, 0.5] turns, got ${shift}`);
  }
  const { c, plane } = checkColorImage('adjustHue', x);
  if (c === 1) return x;
  const src = x.data;
  const out = allocate(x.dtype, x.size);
  for (let k = 0; k < plane; k++) {
    const r = clamp01(src[k]!);
    const g = clamp01(src[plane + k]!);
    const b = clamp01(src[2 * plane + k]!);
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    let hue = 0;
    if (chroma > 0) {
      if (max === r) hue = (g - b) / chroma;
      else if (max === g) hue = 2 + (b - r) / chroma;
      else hue = 4 + (r - g) / chroma;
      hue /= 6;
    }
    hue = (((hue + shift) % 1) + 1) % 1;
    const sat = max > 0 ? chroma / max : 0;
    // HSV -> RGB.
    const h6 = hue * 6;
    const sector = Math.floor(h6) % 6;
    const f = h6 - Math.floor(h6);
    const p = max * (1 - sat);
    const q = max * (1 - sat * f);
    const t = max * (1 - sat * (1 - f));
    const rgb =
      sector === 0
        ? [max, t, p]
        : sector === 1
          ? [q, max, p]
          : sector === 2
            ? [p, max, t]
            : sector === 3
              ? [p, q, max]
              : sector === 4
                ? [t, p, max]
                : [max, p, q];
    out[k] = rgb[0]!;
    out[plane + k] = rgb[1]!;
    out[2 * plane + k] = rgb[2]!;
  }
  return new Tensor(out, x.shape);
}

/** Options of {@link colorJitter}; each strength `s` draws a factor from [max(0, 1 - s), 1 + s]. */
export interface ColorJitterOptions {
  /** Brightness strength, or an explicit factor range `[lo, hi]` (default 0: unchanged). */
  brightness?: number | readonly [number, number];
  /** Contrast strength or factor range (default 0). */
  contrast?: number | readonly [number, number];
  /** Saturation strength or factor range (default 0). */
  saturation?: number | readonly [number, number];
  /** Hue strength in turns, at most 0.5: the shift is drawn from [-hue, hue] (default 0). */
  hue?: number | readonly [number, number];
  /** Probability of jittering (default 1). */
  p?: number;
}

function factorRange(
  op: string,
  name: string,
  v: number | readonly [number, number] | undefined,
): [number, number] | null {
  if (v === undefined) return null;
  const r: [number, number] = typeof v === 'number' ? [Math.max(0, 1 - v), 1 + v] : [v[0], v[1]];
  if (typeof v === 'number' && v < 0) throw new ValueError(op, `${name} must be >= 0, got ${v}`);
  if (!(r[0] >= 0 && r[0] <= r[1]))
    throw new ValueError(op, `${name} range must satisfy 0 <= lo <= hi, got [${r[0]}, ${r[1]}]`);
  return r[0] === 1 && r[1] === 1 ? null : r;
}

/**
 * Random brightness, contrast, saturation and hue changes applied in a random order
 * (torchvision `ColorJitter`). Draws whether to apply (`p`), the order (a shuffle of the four),
 * then one factor for each adjustment that is enabled, in the order brightness, contrast,
 * saturation, hue.
 */
export function colorJitter(opts: ColorJitterOptions = {}): Transform {
  const op = 'colorJitter';
  const ranges = [
    factorRange(op, 'brightness', opts.brightness),
    factorRange(op, 'contrast', opts.contrast),
    factorRange(op, 'saturation', opts.saturation),
  ];
  let hue: [number, number] | null = null;
  if (opts.hue !== undefined) {
    const hv = opts.hue;
    hue = typeof hv === 'number' ? [-hv, hv] : [hv[0], hv[1]];
    if (!(hue[0] >= -0.5 && hue[0] <= hue[1] && hue[1] <= 0.5)) {
      throw new ValueError(op, `hue must lie within [-0.5, 0.5] with lo <= hi, got [${hue[0]}, ${hue[1]}]`);
    }
    if (hue[0] === 0 && hue[1] === 0) hue = null;
  }
  const p = opts.p ?? 1;
  checkProbability(op, p);
  const adjust = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
  return (x, rng) => {
    const r = rng ?? defaultRng();
    checkColorImage(op, x);
    if (r.next() >= p) return x;
    const order = [0, 1, 2, 3];
    r.shuffle(order);
    const factors = [...ranges, hue].map((range) => (range ? r.uniform(range[0], range[1]) : null));
    let out = x;
    for (const k of order) {
      const f = factors[k];
      if (f !== null && f !== undefined) out = adjust[k]!(out, f);
    }
    return out;
  };
}

/** Options of {@link colorShift}. */
export interface ColorShiftOptions {
  /** Largest shift per channel: each channel gets an offset drawn from [-shift, shift] (default 0.1). */
  shift?: number;
  /** Clamp the result to [0, 1] (default true). */
  clamp?: boolean;
  /** Probability of shifting (default 1). */
  p?: number;
}

/**
 * Add one random offset per channel (the decks' "color shift": the whole image turns a little
 * redder, greener or bluer). Draws one offset per channel, in channel order.
 */
export function colorShift(opts: ColorShiftOptions = {}): Transform {
  const op = 'colorShift';
  const shift = opts.shift ?? 0.1;
  if (!(shift >= 0)) throw new ValueError(op, `shift must be >= 0, got ${shift}`);
  const clamp = opts.clamp ?? true;
  const p = opts.p ?? 1;
  checkProbability(op, p);
  return (x, rng) => {
    const r = rng ?? defaultRng();
    const { c, h, w } = imageDims(op, x);
    if (r.next() >= p) return x;
    const plane = h * w;
    const out = allocate(x.dtype, x.size);
    for (let ch = 0; ch < c; ch++) {
      const off = r.uniform(-shift, shift);
      for (let k = ch * plane; k < (ch + 1) * plane; k++) {
        const v = x.data[k]! + off;
        out[k] = clamp ? clamp01(v) : v;
      }
    }
    return new Tensor(out, x.shape);
  };
}
