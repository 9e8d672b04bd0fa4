import { ValueError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { concat } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Element-wise sum of its inputs (with broadcasting), the merge of a residual connection:
 * `g.add('sum', new Add(), branch, shortcut)`.
 */
export class Add extends Module {
  /** x₁ + x₂ + ... */
  forward(...inputs: Tensor[]): Tensor {
    if (inputs.length === 0) throw new ValueError('Add', 'needs at least one input tensor');
    let y = inputs[0]!;
    for (let i = 1; i < inputs.length; i++) y = add(y, inputs[i]!);
    return y;
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
