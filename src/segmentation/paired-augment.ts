/**
 * Paired augmentation for segmentation: the same random flip, crop or affine warp applied to an
 * image and its label mask. Each pair runs the ordinary image transform on the image and a
 * mask-safe twin of it (nearest sampling, the mask's own fill value) on the mask, both from
 * generators seeded with one draw, so both make identical random choices: the geometry matches
 * pixel for pixel and the mask keeps whole labels.
 */
import { randomAffine, type RandomAffineOptions } from '../data/augment/affine.js';
import { randomCrop, type RandomCropOptions } from '../data/augment/crop.js';
import { randomHorizontalFlip, randomVerticalFlip, type FlipOptions } from '../data/augment/flip.js';
import type { ImageSize } from '../data/augment/resize.js';
import type { Transform } from '../data/augment/transform.js';
import { ShapeError } from '../errors.js';
import { defaultRng, Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** An image [C, H, W] and its mask [1, H, W] of class labels. */
export interface ImageMaskPair {
  image: Tensor;
  mask: Tensor;
}

/** A random transform of an image and its mask that changes both the same way. */
export type PairedTransform = (pair: ImageMaskPair, rng?: Rng) => ImageMaskPair;

/** Where the mask has no label after a warp or padding (default 0, the background). */
export interface MaskFillOption {
  /** Label of mask pixels that come from outside the image (default 0; e.g. 255 to ignore them). */
  maskFill?: number;
}

/**
 * Pair an image transform with its mask twin: both run from generators seeded by one draw of
 * `rng`, so they make the same random choices. The twin must draw exactly as the image transform
 * does (the helpers below build such twins).
 */
export function pairTransforms(image: Transform, mask: Transform): PairedTransform {
  return ({ image: x, mask: m }, rng) => {
    if (
      x.ndim !== 3 ||
      m.ndim !== 3 ||
      m.shape[0] !== 1 ||
      x.shape[1] !== m.shape[1] ||
      x.shape[2] !== m.shape[2]
    ) {
      throw new ShapeError(
        'pairedTransform',
        'the mask must be [1, H, W] with the image’s H and W',
        `[1, ${x.shape[1]}, ${x.shape[2]}]`,
        m.shape,
        'resize the mask to the image with nearest-neighbour sampling',
      );
    }
    const seed = (rng ?? defaultRng()).nextUint32();
    return { image: image(x, new Rng(seed)), mask: mask(m, new Rng(seed)) };
  };
}

/** Mirror image and mask left-right together with probability `p` (default 0.5). */
export function pairedHorizontalFlip(opts: FlipOptions = {}): PairedTransform {
  return pairTransforms(randomHorizontalFlip(opts), randomHorizontalFlip(opts));
}

/** Mirror image and mask top-bottom together with probability `p` (default 0.5). */
export function pairedVerticalFlip(opts: FlipOptions = {}): PairedTransform {
  return pairTransforms(randomVerticalFlip(opts), randomVerticalFlip(opts));
}

/** The same random `size` window of image and mask (padding the mask with `maskFill`). */
export function pairedRandomCrop(
  size: ImageSize,
  opts: RandomCropOptions & MaskFillOption = {},
): PairedTransform {
  const { maskFill, ...crop } = opts;
  const maskMode =
    crop.paddingMode === 'reflect' || crop.paddingMode === 'symmetric' || crop.paddingMode === 'edge';
  return pairTransforms(
    randomCrop(size, crop),
    randomCrop(size, { ...crop, ...(maskMode ? {} : { fill: maskFill ?? 0 }) }),
  );
}

/**
 * The same random rotation / translation / zoom / shear of image and mask: the image with the
 * given interpolation (default bilinear), the mask with nearest sampling and `maskFill` outside.
 */
export function pairedRandomAffine(opts: RandomAffineOptions & MaskFillOption = {}): PairedTransform {
  const { maskFill, ...affine } = opts;
  return pairTransforms(
    randomAffine(affine),
    randomAffine({ ...affine, interpolation: 'nearest', fill: maskFill ?? 0 }),
  );
}

/** Chain paired transforms, all drawing from one generator. */
export function composePaired(transforms: readonly PairedTransform[]): PairedTransform {
  const list = [...transforms];
  return (pair, rng) => {
    const r = rng ?? defaultRng();
    let out = pair;
    for (const t of list) out = t(out, r);
    return out;
  };
}
