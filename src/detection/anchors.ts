import { ValueError } from '../errors.js';
import { fromArray } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of {@link generateAnchors}: one entry per feature-map level in each list. */
export interface AnchorOptions {
  /** Input image size [H, W]; a level's stride is floor(image / feature size), as torchvision. */
  imageSize: readonly [number, number];
  /** Feature-map sizes [h, w] per level. */
  featureSizes: readonly (readonly [number, number])[];
  /** Anchor sizes (square-root of the area, in pixels) per level. */
  sizes: readonly (readonly number[])[];
  /** Aspect ratios h/w per level. */
  aspectRatios: readonly (readonly number[])[];
}

/** Round half to even, as torch's `round`. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Base anchors of one level centred on (0, 0): for every aspect ratio r (outer) and size s (inner)
 * a box of w = s/√r, h = s·√r, rounded to whole pixels (torchvision's `AnchorGenerator`).
 */
export function baseAnchors(sizes: readonly number[], aspectRatios: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const r of aspectRatios) {
    for (const s of sizes) {
      const hr = Math.sqrt(r);
      const w = s / hr / 2;
      const h = (s * hr) / 2;
      out.push([-w, -h, w, h].map(roundHalfEven));
    }
  }
  return out;
}

/**
 * Anchor boxes of a feature pyramid (torchvision's `AnchorGenerator`): every level places its base
 * anchors (sizes × aspect ratios) at the top-left corner of each feature-map cell, cells in row-major
 * order. Returns [A, 4] corner boxes in image pixels, levels concatenated.
 */
export function generateAnchors(opts: AnchorOptions): Tensor {
  const op = 'generateAnchors';
  const levels = opts.featureSizes.length;
  if (opts.sizes.length !== levels || opts.aspectRatios.length !== levels) {
    throw new ValueError(
      op,
      `featureSizes, sizes and aspectRatios need one entry per level; got ${levels}, ${opts.sizes.length} and ` +
        `${opts.aspectRatios.length}`,
    );
  }
  const [imgH, imgW] = opts.imageSize;
  const rows: number[] = [];
  opts.featureSizes.forEach(([fh, fw], l) => {
    if (!(Number.isInteger(fh) && Number.isInteger(fw) && fh > 0 && fw > 0)) {
      throw new ValueError(op, `featureSizes[${l}] must be two positive integers, got [${fh}, ${fw}]`);
    }
    const sh = Math.floor(imgH / fh);
    const sw = Math.floor(imgW / fw);
    const base = baseAnchors(opts.sizes[l]!, opts.aspectRatios[l]!);
    for (let y = 0; y < fh; y++) {
      for (let x = 0; x < fw; x++) {
        for (const b of base) rows.push(b[0]! + x * sw, b[1]! + y * sh, b[2]! + x * sw, b[3]! + y * sh);
      }
    }
  });
  return fromArray(Float32Array.from(rows), [rows.length / 4, 4]);
}
