import { dropout, dropout2d } from '../ops/dropout.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRange } from './layer-args.js';
import { Module } from './module.js';

/**
 * Dropout, like `torch.nn.Dropout`: in training mode each element is zeroed with probability `p`
 * (default 0.5) and the rest are scaled by 1/(1-p); in evaluation mode (`model.eval()`) the input
 * passes through unchanged. Masks come from `rng` when given, else the process-wide generator.
 */
export class Dropout extends Module {
  /** Probability of zeroing an element. */
  readonly p: number;
  /** Generator of the masks, or undefined for the process-wide one. */
  readonly rng: Rng | undefined;

  constructor(p = 0.5, opts: { rng?: Rng } = {}) {
    super();
    this.p = checkRange('Dropout', 'p', p, 0, 1);
    this.rng = opts.rng;
  }

  /** Masked and rescaled `x` while training; `x` itself otherwise. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { rng: this.rng });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Channel dropout for feature maps [N, C, H, W], like `torch.nn.Dropout2d`: whole channels are
 * zeroed with probability `p` while training (neighbouring pixels are correlated, so dropping single
 * pixels regularizes little).
 */
export class Dropout2d extends Module {
  /** Probability of zeroing a channel. */
  readonly p: number;
  /** Generator of the masks, or undefined for the process-wide one. */
  readonly rng: Rng | undefined;

  constructor(p = 0.5, opts: { rng?: Rng } = {}) {
    super();
    this.p = checkRange('Dropout2d', 'p', p, 0, 1);
    this.rng = opts.rng;
  }

  /** Channel-masked and rescaled `x` while training; `x` itself otherwise. */
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, { rng: this.rng });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
