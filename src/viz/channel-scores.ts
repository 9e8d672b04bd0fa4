import { ShapeError } from '../errors.js';
import { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { findLayer } from './find-layer.js';

/**
 * A model whose "class scores" are the spatial means of one layer's channels, [N, K]: wrap a
 * backbone (for instance an imported network whose own head should not be used) so that
 * saliency and Grad-CAM can explain a feature channel instead of a class. The wrapped model is
 * the child `model`, so its layers are named `model.<name>`. With no target, the explained
 * channel is the most active one.
 */
export class ChannelScores extends Module {
  readonly model: Module;
  readonly layer: string;

  constructor(model: Module, layer: string) {
    super();
    findLayer('ChannelScores', model, layer);
    this.model = model;
    this.layer = layer;
  }

  forward(x: Tensor): Tensor {
    let captured: Tensor | null = null;
    const handle = findLayer('ChannelScores', this.model, this.layer).registerForwardHook((_m, _i, out) => {
      captured = out;
    });
    try {
      this.model.forward(x);
    } finally {
      handle.remove();
    }
    const a = captured as Tensor | null;
    if (!a || a.ndim !== 4) {
      throw new ShapeError(
        'ChannelScores',
        `layer '${this.layer}' must output feature maps`,
        '[N, K, h, w]',
        a?.shape ?? 'no output',
      );
    }
    return a.mean([2, 3]);
  }
}
