import { ValueError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { activateInPlace, checkFusedActivation, type FusedActivation } from '../ops/fused-activation.js';
import { concat } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { bumpLayerStateEpoch } from './layer-state-epoch.js';
import { Module } from './module.js';

/** Options of {@link Add}. */
export interface AddOptions {
  /**
   * Activation applied to the sum in place (default none), as ResNet applies ReLU after its
   * residual sum; `fuseForInference` sets it from a following ReLU/ReLU6 layer.
   */
  activation?: FusedActivation | null;
}

/**
 * Element-wise sum of its inputs (with broadcasting), the merge of a residual connection:
 * `g.add('sum', new Add(), branch, shortcut)`.
 */
export class Add extends Module {
  #activation: FusedActivation | null;

  constructor(opts: AddOptions = {}) {
    super();
    this.#activation = checkFusedActivation('Add', opts.activation);
  }

  /** Activation applied to the sum in place, or null. */
  get activation(): FusedActivation | null {
    return this.#activation;
  }
  set activation(a: FusedActivation | null) {
    if (a !== this.#activation) bumpLayerStateEpoch();
    this.#activation = a;
  }

  /** x₁ + x₂ + ..., then the activation if one is set. */
  forward(...inputs: Tensor[]): Tensor {
    if (inputs.length === 0) throw new ValueError('Add', 'needs at least one input tensor');
    let y = inputs[0]!;
    for (let i = 1; i < inputs.length; i++) y = add(y, inputs[i]!);
    if (!this.activation) return y;
    // A single input is returned as is by the loop: activate a copy, never the caller's tensor.
    return activateInPlace(inputs.length === 1 ? y.clone() : y, this.activation);
  }

  override extraRepr(): string {
    return this.activation ? `activation=${this.activation}` : '';
  }
}

/**
 * Concatenation of its inputs along `dim` (default 1: the channels of [N, C, H, W]), the merge of
 * Inception modules, DenseNet blocks and U-Net skips.
 */
export class Concat extends Module {
  /** Dimension to join along. */
  readonly dim: number;

  constructor(dim = 1) {
    super();
    this.dim = dim;
  }

  /** The inputs joined along `dim`; all other dimensions must match. */
  forward(...inputs: Tensor[]): Tensor {
    return concat(inputs, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
