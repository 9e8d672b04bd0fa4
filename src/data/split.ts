import { ValueError } from '../errors.js';
import { defaultRng, Rng } from '../tensor/random.js';
import { labelsOf, Subset, type Dataset, type Sample } from './dataset.js';

/** Options of the random splits. */
export interface SplitOptions {
  /** Seed a private generator, so the split is the same every run. */
  seed?: number;
  /** Draw from this generator (default: the process-wide one, unless `seed` is given). */
  rng?: Rng;
  /**
   * Split each class separately, so every part keeps the class proportions of the whole
   * (up to rounding per class). Default false.
   */
  stratified?: boolean;
}

/**
 * Sizes from fractions by largest remainder: floor(f·n) each, then the items left over go to
 * the parts with the largest fractional parts (earlier parts first on ties).
 */
function partSizes(n: number, fractions: readonly number[]): number[] {
  const exact = fractions.map((f) => f * n);
  const sizes = exact.map((e) => Math.floor(e + 1e-9));
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const order = exact
    .map((e, i) => ({ i, r: e - Math.floor(e + 1e-9) }))
    .sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) sizes[order[k]!.i]!++;
  return sizes;
}

function checkFractions(op: string, fractions: readonly number[]): void {
  const total = fractions.reduce((a, b) => a + b, 0);
  if (fractions.length === 0 || fractions.some((f) => !(f >= 0)) || Math.abs(total - 1) > 1e-6) {
    throw new ValueError(
      op,
      `fractions must be non-negative and sum to 1, got [${fractions.join(', ')}] (sum ${total}). Fix: e.g. [0.8, 0.1, 0.1]`,
    );
  }
}

/**
 * Randomly split a dataset into parts of the given fractions (PyTorch `random_split` with
 * fractions; sizes are rounded by largest remainder). Returns views (`Subset`s) in shuffled
 * order; nothing is copied. With `stratified`, each class is split on its own.
 */
export function randomSplit(
  dataset: Dataset<Sample>,
  fractions: readonly number[],
  opts: SplitOptions = {},
): Subset<Sample>[] {
  const op = 'randomSplit';
  checkFractions(op, fractions);
  const rng = opts.rng ?? (opts.seed !== undefined ? new Rng(opts.seed) : defaultRng());
  const parts: number[][] = fractions.map(() => []);
  if (opts.stratified) {
    const labels = labelsOf(dataset);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      let list = byClass.get(l);
      if (!list) byClass.set(l, (list = []));
      list.push(i);
    }
    for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
      const members = byClass.get(cls)!;
      rng.shuffle(members);
      let start = 0;
      partSizes(members.length, fractions).forEach((size, p) => {
        for (let k = start; k < start + size; k++) parts[p]!.push(members[k]!);
        start += size;
      });
    }
    for (const part of parts) rng.shuffle(part);
  } else {
    const perm = Array.from({ length: dataset.length }, (_, i) => i);
    rng.shuffle(perm);
    let start = 0;
    partSizes(dataset.length, fractions).forEach((size, p) => {
      parts[p] = perm.slice(start, start + size);
      start += size;
    });
  }
  return parts.map((idx) => new Subset(dataset, idx));
}

/**
 * Hold out `validationFraction` of a dataset for validation (e.g. 0.1 keeps 90% for training),
 * at random (seeded with `seed`), optionally stratified by class. Returns views; nothing is
 * copied. Compute normalization statistics on `train` only.
 */
export function trainValidationSplit(
  dataset: Dataset<Sample>,
  validationFraction: number,
  opts: SplitOptions = {},
): { train: Subset<Sample>; validation: Subset<Sample> } {
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new ValueError(
      'trainValidationSplit',
      `validationFraction must be in [0, 1), got ${validationFraction}`,
    );
  }
  const [train, validation] = randomSplit(dataset, [1 - validationFraction, validationFraction], opts);
  return { train: train!, validation: validation! };
}
