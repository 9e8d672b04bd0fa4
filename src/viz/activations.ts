import { ShapeError, ValueError } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { captureOutputs } from './capture-outputs.js';
import { tileGrid } from './tile-grid.js';

/** One layer's activations. */
export interface LayerActivations {
  /** The layer's output as it is, [N, K, h, w] (or [N, K] for a dense layer). */
  maps: Tensor;
  /** The feature maps of sample `sample` tiled in one greyscale image [1, H, W] in [0, 1], each map scaled on its own. */
  grid: Tensor;
}

/** Options of {@link activations}. */
export interface ActivationsOptions {
  /** Which sample of the batch is tiled (default 0). */
  sample?: number;
  /** Show at most this many channels (default: all). */
  maxChannels?: number;
}

/**
 * The feature maps of the named layers for input `x`, captured with forward hooks in evaluation
 * mode (the model is not changed), each tiled into one image per layer.
 */
export function activations(
  model: Module,
  x: Tensor,
  layerNames: readonly string[],
  opts: ActivationsOptions = {},
): Record<string, LayerActivations> {
  const op = 'activations';
  const sample = opts.sample ?? 0;
  if (!Number.isInteger(sample) || sample < 0 || sample >= (x.shape[0] ?? 0)) {
    throw new ValueError(op, `sample must index the batch of ${x.shape[0]}; got ${sample}`);
  }
  const training = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let outputs: Map<string, Tensor>;
  try {
    outputs = captureOutputs(op, model, layerNames, () => noGrad(() => model.forward(x))).outputs;
  } finally {
    for (const [m, t] of training) m.training = t;
  }
  const result: Record<string, LayerActivations> = {};
  for (const name of layerNames) {
    const maps = outputs.get(name);
    if (!maps) throw new ValueError(op, `layer '${name}' did not run in the model's forward pass`);
    if (maps.ndim !== 4 && maps.ndim !== 2) {
      throw new ShapeError(
        op,
        `layer '${name}' must output [N, K, h, w] or [N, K]`,
        '[N, K, h, w]',
        maps.shape,
      );
    }
    const k = Math.min(maps.shape[1]!, opts.maxChannels ?? Infinity);
    const one = maps.slice(0, sample, sample + 1).slice(1, 0, k);
    const grid =
      maps.ndim === 4
        ? tileGrid(one.reshape([k, 1, maps.shape[2]!, maps.shape[3]!]))
        : tileGrid(one.reshape([1, 1, 1, k]), { normalize: 'all' });
    result[name] = { maps, grid };
  }
  return result;
}
