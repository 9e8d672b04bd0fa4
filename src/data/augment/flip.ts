import { defaultRng } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { allocate } from '../../tensor/dtype.js';
import { checkProbability, imageDims, type Transform } from './transform.js';

/** Mirror a CHW image left-right (torchvision `F.hflip`): column `j` becomes column `W - 1 - j`. */
export function hflip(x: Tensor): Tensor {
  const { c, h, w } = imageDims('hflip', x);
  const src = x.data;
  const out = allocate(x.dtype, x.size);
  for (let row = 0; row < c * h; row++) {
    const base = row * w;
    for (let j = 0; j < w; j++) out[base + j] = src[base + w - 1 - j]!;
  }
  return new Tensor(out, x.shape);
}

/** Mirror a CHW image top-bottom (torchvision `F.vflip`): row `i` becomes row `H - 1 - i`. */
export function vflip(x: Tensor): Tensor {
  const { c, h, w } = imageDims('vflip', x);
  const src = x.data;
  const out = allocate(x.dtype, x.size);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < h; i++) {
      const from = (ch * h + (h - 1 - i)) * w;
      out.set(src.subarray(from, from + w), (ch * h + i) * w);
    }
  }
  return new Tensor(out, x.shape);
}

/** Options of the random flips. */
export interface FlipOptions {
  /** Probability of flipping (default 0.5, as in torchvision). */
  p?: number;
}

/** Mirror left-right with probability `p` (torchvision `RandomHorizontalFlip`). */
export function randomHorizontalFlip(opts: FlipOptions = {}): Transform {
  const p = opts.p ?? 0.5;
  checkProbability('randomHorizontalFlip', p);
  return (x, rng) => {
    imageDims('randomHorizontalFlip', x);
    return (rng ?? defaultRng()).next() < p ? hflip(x) : x;
  };
}

/** Mirror top-bottom with probability `p` (torchvision `RandomVerticalFlip`). */
export function randomVerticalFlip(opts: FlipOptions = {}): Transform {
  const p = opts.p ?? 0.5;
  checkProbability('randomVerticalFlip', p);
  return (x, rng) => {
    imageDims('randomVerticalFlip', x);
    return (rng ?? defaultRng()).next() < p ? vflip(x) : x;
  };
}
