import { ValueError } from '../errors.js';

/** The channel counts a tensor image can have: gray, RGB or RGBA. */
export const TENSOR_IMAGE_CHANNELS: readonly number[] = [1, 3, 4];

/** ITU-R 601-2 luma weights (PIL's `convert('L')`), applied to sRGB values. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** Check a requested output channel count (1, 3 or 4). */
export function checkChannels(op: string, channels: number, where = 'channels'): number {
  if (!TENSOR_IMAGE_CHANNELS.includes(channels))
    throw new ValueError(op, `unsupported ${where} ${channels}: expected 1 (gray), 3 (RGB) or 4 (RGBA)`);
  return channels;
}

/**
 * Convert CHW planes (`inC` planes of `plane` values, alpha last when present) into `outC` planes:
 * gray to colour replicates, colour to gray takes the luma, alpha is dropped or added as `opaque`.
 * `inC` is 1 to 4 (2 = gray + alpha).
 */
export function convertPlanes(
  src: ArrayLike<number>,
  inC: number,
  outC: number,
  plane: number,
  opaque: number,
): Float32Array {
  const out = new Float32Array(outC * plane);
  const colour = inC >= 3;
  const inAlpha = inC === 2 || inC === 4 ? inC - 1 : -1;
  for (let p = 0; p < plane; p++) {
    const r = src[p]!;
    const g = colour ? src[plane + p]! : r;
    const b = colour ? src[2 * plane + p]! : r;
    const a = inAlpha >= 0 ? src[inAlpha * plane + p]! : opaque;
    if (outC === 1) out[p] = colour ? LUMA_WEIGHTS[0] * r + LUMA_WEIGHTS[1] * g + LUMA_WEIGHTS[2] * b : r;
    else {
      out[p] = r;
      out[plane + p] = g;
      out[2 * plane + p] = b;
      if (outC === 4) out[3 * plane + p] = a;
    }
  }
  return out;
}
