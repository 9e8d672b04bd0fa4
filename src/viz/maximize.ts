import { ShapeError, ValueError } from '../errors.js';

import type { Module } from '../nn/module.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { graphInputShape } from '../inspect/trace.js';
import { getDefaultInputShape } from '../nn/default-input.js';
import { captureOutputs } from './capture-outputs.js';
import { ascentStep } from './gradient-ascent.js';
import { clampInPlace, gaussianBlur } from './image-ops.js';
import { withInputGradients } from './input-gradient-mode.js';

/** Options of {@link maximize}. */
export interface MaximizeOptions {
  /** Dotted name of the layer (as `model.namedModules()` spells it). */
  layer: string;
  /** The channel (feature map, or unit of a dense layer) whose mean activation is raised. */
  channel: number;
  /** Height and width of the image (default: the input size the model declares, else 64). */
  size?: number | readonly [number, number];
  /** Input channels (default: what the model declares, else 3). */
  channels?: number;
  /** Gradient-ascent steps (default 100). */
  steps?: number;
  /** Step size in input units per step, applied to the gradient divided by its mean |value| (default 0.05). */
  lr?: number;
  /** Random shift of up to this many pixels before every step (default 2). */
  jitter?: number;
  /** Standard deviation in pixels of a Gaussian blur after every step (default 0.5; 0 turns it off). */
  blur?: number;
  /** Weight of the L2 penalty mean(x^2) subtracted from the objective (default 0.001). */
  l2?: number;
  /** Seed of the start image and the jitter (default 0). */
  seed?: number;
  /** Keep the image in [min, max] after every step (default: no clamping). */
  range?: readonly [number, number];
  /** Start from this image [1, C, H, W] instead of small random noise. */
  start?: Tensor;
}

/** What {@link maximize} returns. */
export interface MaximizeResult {
  /** The optimized input [1, C, H, W]. */
  image: Tensor;
  /** The channel's mean activation for the start image and for the result. */
  activation: { start: number; end: number };
}

/**
 * Activation maximization: gradient ascent on an input image so that one channel of one layer
 * responds as strongly as possible (on average over its positions), starting from small noise,
 * with the usual regularizers so the result is an image and not noise: random jitter, a blur
 * after each step and an L2 penalty. The model runs in evaluation mode and is not changed.
 */
export function maximize(model: Module, opts: MaximizeOptions): MaximizeResult {
  const op = 'maximize';
  const def = getDefaultInputShape(model) ?? graphInputShape(model);
  const size = opts.size ?? (def && def.length === 3 ? [def[1]!, def[2]!] : 64);
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  const c = opts.channels ?? opts.start?.shape[1] ?? (def && def.length === 3 ? def[0]! : 3);
  const steps = opts.steps ?? 100;
  const lr = opts.lr ?? 0.05;
  const l2 = opts.l2 ?? 0.001;
  const blur = opts.blur ?? 0.5;
  const jitter = opts.jitter ?? 2;
  if (!Number.isInteger(steps) || steps < 0 || !Number.isInteger(opts.channel) || opts.channel < 0) {
    throw new ValueError(
      op,
      `steps and channel must be non-negative integers; got ${steps}, ${opts.channel}`,
    );
  }
  const rng = new Rng(opts.seed ?? 0);
  let x: Tensor;
  if (opts.start) {
    x = opts.start.detach();
  } else {
    const mid = opts.range ? (opts.range[0] + opts.range[1]) / 2 : 0;
    const spread = opts.range ? 0.05 * (opts.range[1] - opts.range[0]) : 0.1;
    const data = new Float32Array(c * h! * w!);
    for (let i = 0; i < data.length; i++) data[i] = mid + rng.normal(0, spread);
    x = new Tensor(data, [1, c, h!, w!]);
  }
  const channelMap = (outputs: Map<string, Tensor>): Tensor => {
    const a = outputs.get(opts.layer);
    if (!a) throw new ValueError(op, `layer '${opts.layer}' did not run in the model's forward pass`);
    if ((a.ndim !== 4 && a.ndim !== 2) || opts.channel >= a.shape[1]!) {
      throw new ShapeError(
        op,
        `channel ${opts.channel} must index the channels of layer '${opts.layer}'`,
        `[1, K > ${opts.channel}, h, w] or [1, K > ${opts.channel}]`,
        a.shape,
      );
    }
    return a.slice(1, opts.channel, opts.channel + 1).mean();
  };
  const objective = (outputs: Map<string, Tensor>, input: Tensor): Tensor => {
    const act = channelMap(outputs);
    return l2 > 0 ? act.sub(input.mul(input).mean().mul(l2)) : act;
  };
  const measure = (image: Tensor): number =>
    noGrad(() =>
      channelMap(captureOutputs(op, model, [opts.layer], () => model.forward(image)).outputs).item(),
    );
  return withInputGradients(model, () => {
    const start = measure(x);
    for (let s = 0; s < steps; s++) {
      x = gaussianBlur(ascentStep(op, model, x, [opts.layer], objective, { lr, jitter, rng }).image, blur);
      if (opts.range) clampInPlace(x, opts.range[0], opts.range[1]);
    }
    return { image: x, activation: { start, end: measure(x) } };
  });
}
