import { ValueError } from '../../errors.js';
import { defaultRng } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkProbability, checkRange, imageDims, type Transform } from './transform.js';

/** Options of {@link randomErasing}. */
export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5, as in torchvision). */
  p?: number;
  /** Range of the erased area as a fraction of the image (default [0.02, 0.33]). */
  scale?: readonly [number, number];
  /** Range of the erased rectangle's aspect ratio height/width, drawn log-uniformly (default [0.3, 3.3]). */
  ratio?: readonly [number, number];
  /**
   * What to write: one number for every channel, one number per channel, or `'random'` for
   * standard-normal noise per pixel (default 0).
   */
  value?: number | readonly number[] | 'random';
}

/**
 * Blank out a random rectangle (torchvision `RandomErasing`, Zhong et al. 2017). Up to ten draws
 * of area and aspect ratio look for a rectangle smaller than the image; its top row and left
 * column are then drawn uniformly. If none fits, the image is returned unchanged.
 */
export function randomErasing(opts: RandomErasingOptions = {}): Transform {
  const op = 'randomErasing';
  const p = opts.p ?? 0.5;
  checkProbability(op, p);
  const scale = checkRange(op, 'scale', opts.scale ?? [0.02, 0.33], 0, 1);
  const ratio = checkRange(op, 'ratio', opts.ratio ?? [0.3, 3.3], Number.MIN_VALUE, Infinity);
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  const value = opts.value ?? 0;
  return (x, rng) => {
    const r = rng ?? defaultRng();
    const { c, h, w } = imageDims(op, x);
    if (Array.isArray(value) && value.length !== c) {
      throw new ValueError(
        op,
        `value has ${value.length} entries for an image of ${c} channels; give one per channel`,
      );
    }
    if (r.next() >= p) return x;
    const area = h * w;
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * r.uniform(scale[0], scale[1]);
      const aspect = Math.exp(r.uniform(logRatio[0], logRatio[1]));
      const eh = Math.round(Math.sqrt(target * aspect));
      const ew = Math.round(Math.sqrt(target / aspect));
      if (!(eh < h && ew < w) || eh === 0 || ew === 0) continue;
      const top = r.int(0, h - eh + 1);
      const left = r.int(0, w - ew + 1);
      const out = x.data.slice();
      for (let ch = 0; ch < c; ch++) {
        const fillValue =
          typeof value === 'number' ? value : Array.isArray(value) ? (value[ch] as number) : 0;
        for (let i = top; i < top + eh; i++) {
          const row = (ch * h + i) * w;
          for (let j = left; j < left + ew; j++) out[row + j] = value === 'random' ? r.normal() : fillValue;
        }
      }
      return new Tensor(out, x.shape);
    }
    return x;
  };
}
