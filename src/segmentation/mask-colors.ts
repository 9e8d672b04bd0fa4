/**
 * Colour-coded label masks and overlays, as RGB bytes (HWC), for writing as PNG.
 */
import { ValueError } from '../errors.js';

/** An [r, g, b] colour, each 0-255. */
export type Rgb = readonly [number, number, number];

/**
 * PASCAL VOC's colour map (class 0 black, 1 dark red, 2 dark green, ...): the bits of the class
 * index spread over the high bits of r, g and b. Defined for any number of classes up to 256.
 */
export function vocPalette(numClasses = 256): Rgb[] {
  const out: Rgb[] = [];
  for (let i = 0; i < numClasses; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 7; j >= 0; j--) {
      r |= (c & 1) << j;
      g |= ((c >> 1) & 1) << j;
      b |= ((c >> 2) & 1) << j;
      c >>= 3;
    }
    out.push([r, g, b]);
  }
  return out;
}

/** Labels (one per pixel) to RGB bytes through `palette` (default {@link vocPalette}). */
export function colorizeMask(labels: ArrayLike<number>, palette: readonly Rgb[] = vocPalette()): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    const c = palette[v];
    if (!c || !Number.isInteger(v)) {
      throw new ValueError(
        'colorizeMask',
        `label ${v} at pixel ${i} has no colour: the palette has ${palette.length}`,
      );
    }
    out[i * 3] = c[0];
    out[i * 3 + 1] = c[1];
    out[i * 3 + 2] = c[2];
  }
  return out;
}

/**
 * Blend a colour mask over an RGB image (both HWC bytes of the same size): alpha·mask +
 * (1 - alpha)·image where the label is not `background` (default 0), the image elsewhere.
 */
export function overlayMask(
  image: Uint8Array,
  colours: Uint8Array,
  labels: ArrayLike<number>,
  opts: { alpha?: number; background?: number | null } = {},
): Uint8Array {
  if (image.length !== colours.length || colours.length !== labels.length * 3) {
    throw new ValueError(
      'overlayMask',
      `image (${image.length} bytes), colour mask (${colours.length}) and labels (${labels.length} pixels x 3) must match`,
    );
  }
  const a = opts.alpha ?? 0.5;
  const bg = opts.background === undefined ? 0 : opts.background;
  const out = new Uint8Array(image.length);
  for (let i = 0; i < labels.length; i++) {
    const blend = bg === null || labels[i] !== bg;
    for (let c = 0; c < 3; c++) {
      const k = i * 3 + c;
      out[k] = blend ? Math.round(a * colours[k]! + (1 - a) * image[k]!) : image[k]!;
    }
  }
  return out;
}
