/**
 * Dropout (Srivastava et al. 2014) with inverted scaling, as in PyTorch: during training each
 * element (or, for dropout2d, each whole channel) is zeroed with probability p and the survivors
 * are multiplied by 1/(1-p), so the expected output equals the input and evaluation needs no
 * rescaling. Masks come from a seedable {@link Rng}, so runs are reproducible.
 */
import { record } from '../autograd/grad-fn.js';
import { ShapeError, ValueError } from '../errors.js';
import { defaultRng, Rng } from '../tensor/random.js';
import { empty, type Tensor } from '../tensor/tensor.js';

/** Where dropout draws its random mask from. */
export interface DropoutOptions {
  /** Draw from this generator (default: the process-wide one, seeded by `manualSeed`). */
  rng?: Rng;
  /** Seed a private generator for this call: the same seed gives the same mask. */
  seed?: number;
}

function checkP(op: string, p: number): void {
  if (!(p >= 0 && p <= 1)) {
    throw new ValueError(
      op,
      `dropout probability must be in [0, 1], got ${p}. Fix: pass the fraction of elements to zero, e.g. 0.5`,
    );
  }
}

function rngOf(opts: DropoutOptions): Rng {
  if (opts.rng) return opts.rng;
  if (opts.seed !== undefined) return new Rng(opts.seed);
  return defaultRng();
}

/**
 * Multiply x by a mask with one entry per `group` consecutive elements (each entry 0 with
 * probability p, else 1/(1-p)); the backward multiplies by the same mask.
 */
function applyMask(op: string, x: Tensor, p: number, group: number, opts: DropoutOptions): Tensor {
  const rng = rngOf(opts);
  const groups = x.size / group;
  const keep = new Float64Array(groups);
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let j = 0; j < groups; j++) keep[j] = rng.next() >= p ? scale : 0;
  const out = empty(x.shape, x.dtype);
  const xd = x.data;
  const y = out.data;
  for (let j = 0; j < groups; j++) {
    const k = keep[j]!;
    const end = (j + 1) * group;
    for (let i = j * group; i < end; i++) y[i] = xd[i]! * k;
  }
  return record(op, [x], out, (grad) => {
    const g = grad.data;
    const dx = empty(x.shape, x.dtype);
    const d = dx.data;
    for (let j = 0; j < groups; j++) {
      const k = keep[j]!;
      const end = (j + 1) * group;
      for (let i = j * group; i < end; i++) d[i] = g[i]! * k;
    }
    return [dx];
  });
}

/**
 * Zero each element with probability `p` (default 0.5) and scale the rest by 1/(1-p) while
 * `training` (default true); outside training, or with p = 0, return `x` itself.
 */
export function dropout(x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  checkP('dropout', p);
  if (!training || p === 0 || x.size === 0) return x;
  return applyMask('dropout', x, p, 1, opts);
}

/**
 * Channel dropout for [N, C, H, W] feature maps: zero whole channels with probability `p` (default
 * 0.5) and scale the others by 1/(1-p) while `training`; otherwise, or with p = 0, return `x`.
 */
export function dropout2d(x: Tensor, p = 0.5, training = true, opts: DropoutOptions = {}): Tensor {
  checkP('dropout2d', p);
  if (x.ndim !== 4) {
    throw new ShapeError(
      'dropout2d',
      'input must be a batch of feature maps',
      '[N, C, H, W]',
      x.shape,
      x.ndim === 3 ? 'add the batch dimension with x.unsqueeze(0)' : 'use dropout() for other shapes',
    );
  }
  if (!training || p === 0 || x.size === 0) return x;
  return applyMask('dropout2d', x, p, x.shape[2]! * x.shape[3]!, opts);
}
