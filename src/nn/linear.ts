import { linear } from '../ops/linear.js';
import { zeros } from '../tensor/creation.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { torchDefaultInit } from './init.js';
import { checkInt } from './layer-args.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the process-wide one). */
  rng?: Rng;
}

/**
 * Fully connected layer y = x·Wᵀ + b, like `torch.nn.Linear`: `weight` [outFeatures, inFeatures],
 * `bias` [outFeatures], PyTorch's default initialization (U(±1/√inFeatures) for both). Works on the
 * last dimension of any [..., inFeatures] input. Parameters: in·out + out (dense 4096 -> 512 =
 * 2,097,664).
 */
export class Linear extends Module {
  /** [outFeatures, inFeatures]. */
  weight: Parameter;
  /** [outFeatures], or null when built with `bias: false`. */
  bias: Parameter | null;
  /** Size of each input sample. */
  readonly inFeatures: number;
  /** Size of each output sample. */
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = checkInt('Linear', 'inFeatures', inFeatures);
    this.outFeatures = checkInt('Linear', 'outFeatures', outFeatures);
    this.weight = new Parameter(zeros([outFeatures, inFeatures]));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outFeatures]));
    this.resetParameters(opts.rng);
  }

  /** Re-draw the weights with PyTorch's default initialization. */
  resetParameters(rng?: Rng): void {
    torchDefaultInit(this.weight, this.bias, { rng });
  }

  /** [..., inFeatures] -> [..., outFeatures]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Keras' name for {@link Linear}: `new Dense(inFeatures, units)`. */
export const Dense = Linear;
/** Keras' name for {@link Linear}. */
export type Dense = Linear;
