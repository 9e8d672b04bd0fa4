import { ValueError } from '../errors.js';
import { Module } from '../nn/module.js';
import { permute, reshape } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LayerSerializer } from './layer-registry.js';

/**
 * Keras' `Reshape(targetShape)` and `Flatten()` on Stride's channels-first tensors: the values are
 * taken in TensorFlow's channels-last order, so that weights trained after a Keras flatten (a
 * Dense layer reading [h, w, c] order) still line up. Feature maps [N, C, H, W] are read as
 * [N, H, W, C]; a 3-D target (h, w, c) is returned as [N, c, h, w]. `targetShape` excludes the
 * batch dimension; one entry may be -1.
 */
export class ChannelsLastReshape extends Module {
  /** The per-sample target shape in channels-last order (e.g. [-1] to flatten, [1, 1, 64]). */
  readonly targetShape: readonly number[];

  constructor(targetShape: readonly number[]) {
    super();
    if (
      !Array.isArray(targetShape) ||
      targetShape.length === 0 ||
      !targetShape.every((d) => Number.isInteger(d) && d >= -1)
    ) {
      throw new ValueError(
        'ChannelsLastReshape',
        `targetShape must be a non-empty list of sizes (one may be -1), got ${JSON.stringify(targetShape)}`,
      );
    }
    this.targetShape = [...targetShape];
  }

  /** Reshape in channels-last order. */
  forward(x: Tensor): Tensor {
    const hwc = x.ndim === 4 ? permute(x, [0, 2, 3, 1]) : x;
    const y = reshape(hwc, [x.shape[0]!, ...this.targetShape]);
    return y.ndim === 4 ? permute(y, [0, 3, 1, 2]) : y;
  }

  override extraRepr(): string {
    return `targetShape=[${this.targetShape.join(', ')}]`;
  }
}

/** ChannelsLastReshape's saved form (its catalog row in io/catalog/ registers it). */
export const CHANNELS_LAST_RESHAPE_SAVED: LayerSerializer<ChannelsLastReshape> = {
  type: 'ChannelsLastReshape',
  cls: ChannelsLastReshape,
  toConfig: (m) => ({ targetShape: [...m.targetShape] }),
  fromConfig: (c) => new ChannelsLastReshape(c.intList('targetShape', -1)),
};
