import { ValueError } from '../errors.js';
import { flatten, pad } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/**
 * Merge dimensions startDim..endDim into one, like `torch.nn.Flatten` (default 1..-1: each sample
 * of a batch [N, C, H, W] becomes a vector [N, C·H·W], in C, H, W order).
 */
export class Flatten extends Module {
  /** First dimension merged (default 1, keeping the batch). */
  readonly startDim: number;
  /** Last dimension merged (default -1). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /** The flattened tensor (shares memory with `x`). */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/**
 * Pad the borders of images [N, C, H, W] with zeros, like `torch.nn.ZeroPad2d`: a number pads all
 * four sides; [left, right, top, bottom] (PyTorch's order) pads each side.
 */
export class ZeroPad2d extends Module {
  /** [left, right, top, bottom]. */
  readonly padding: [number, number, number, number];

  constructor(padding: number | readonly [number, number, number, number]) {
    super();
    const p: number[] = typeof padding === 'number' ? [padding, padding, padding, padding] : [...padding];
    if (p.length !== 4 || p.some((v) => !Number.isInteger(v))) {
      throw new ValueError(
        'ZeroPad2d',
        `padding must be an integer or [left, right, top, bottom], got ${JSON.stringify(padding)}`,
      );
    }
    this.padding = p as [number, number, number, number];
  }

  /** The padded tensor (negative amounts crop, as in PyTorch). */
  forward(x: Tensor): Tensor {
    return pad(x, this.padding);
  }

  override extraRepr(): string {
    return `padding=[${this.padding.join(', ')}]`;
  }
}

/** Returns its input unchanged, like `torch.nn.Identity` (a placeholder when replacing a layer). */
export class Identity extends Module {
  /** `x` itself. */
  forward(x: Tensor): Tensor {
    return x;
  }
}
