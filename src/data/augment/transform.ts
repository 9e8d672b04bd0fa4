import { ShapeError, ValueError } from '../../errors.js';
import { defaultRng, type Rng } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * A per-sample transform: takes one input (for the augmentations, a CHW float image, values
 * usually in [0, 1]) and returns a new tensor; it never modifies its input. Random transforms draw
 * every random number from `rng`, so a seeded generator gives the same output every run. The
 * `DataLoader` passes its own seeded generator; called directly without one, a transform draws
 * from the process-wide generator (`manualSeed`).
 */
export type Transform = (x: Tensor, rng?: Rng) => Tensor;

/**
 * Chain transforms: `compose([a, b, c])(x, rng)` is `c(b(a(x, rng), rng), rng)` (like
 * torchvision's `Compose`). All of them share one generator, so the chain is seeded as a whole.
 */
export function compose(transforms: readonly Transform[]): Transform {
  const list = [...transforms];
  return (x, rng) => {
    const r = rng ?? defaultRng();
    let out = x;
    for (const t of list) out = t(out, r);
    return out;
  };
}

/**
 * Apply `transform` with probability `p`, else return the input unchanged (torchvision's
 * `RandomApply`). One uniform draw decides.
 */
export function randomApply(transform: Transform, p = 0.5): Transform {
  checkProbability('randomApply', p);
  return (x, rng) => {
    const r = rng ?? defaultRng();
    return r.next() < p ? transform(x, r) : x;
  };
}

/** Throw unless `p` is a probability in [0, 1]. */
export function checkProbability(op: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(op, `p must be a probability in [0, 1], got ${p}`);
}

/** The channels, height and width of a CHW image, or a ShapeError naming `op`. */
export function imageDims(op: string, x: Tensor): { c: number; h: number; w: number } {
  if (x.ndim !== 3) {
    throw new ShapeError(
      op,
      'the image must be a CHW tensor',
      '[C, H, W]',
      x.shape,
      x.ndim === 2 ? 'add a channel dimension with x.unsqueeze(0)' : 'pass one image, not a batch',
    );
  }
  return { c: x.shape[0]!, h: x.shape[1]!, w: x.shape[2]! };
}

/** A `[lo, hi]` range from a number `v` (meaning `[-v, v]`) or a pair, checked to be ordered. */
export function symmetricRange(
  op: string,
  name: string,
  v: number | readonly [number, number],
): [number, number] {
  const r: [number, number] = typeof v === 'number' ? [-Math.abs(v), Math.abs(v)] : [v[0], v[1]];
  if (!(r[0] <= r[1])) throw new ValueError(op, `${name} range [${r[0]}, ${r[1]}] must have min <= max`);
  return r;
}

/** Check that a `[lo, hi]` pair is ordered and within `[min, max]`. */
export function checkRange(
  op: string,
  name: string,
  r: readonly [number, number],
  min: number,
  max: number,
): [number, number] {
  if (!(r[0] <= r[1] && r[0] >= min && r[1] <= max)) {
    throw new ValueError(
      op,
      `${name} must be an ordered pair within [${min}, ${max}], got [${r[0]}, ${r[1]}]`,
    );
  }
  return [r[0], r[1]];
}
