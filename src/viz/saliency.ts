import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { requireImageBatch } from '../ops/pool2d.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { resolveTarget, targetScore, type ClassTarget } from './class-target.js';
import { inputLeaf } from './input-leaf.js';
import { withInputGradients } from './input-gradient-mode.js';

/** SmoothGrad: average the map over noisy copies of the input. */
export interface SmoothGradOptions {
  /** Noisy copies (default 25). */
  samples?: number;
  /** Noise standard deviation as a fraction of the input's value range, max - min (default 0.15). */
  sigma?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
}

/** Options of {@link saliency}. */
export interface SaliencyOptions {
  /** The class whose score is explained (default: the predicted class of each sample). */
  target?: ClassTarget;
  /** How |gradient| is reduced over the input channels: 'max' (default, as in the decks) or 'mean'. */
  reduce?: 'max' | 'mean';
  /** Average over noisy copies of the input (SmoothGrad, Smilkov et al. 2017). */
  smooth?: SmoothGradOptions;
}

/**
 * A saliency map (Simonyan et al. 2014): |d score / d input| of the target class's logit,
 * reduced over the colour channels, one map per sample: [N, C, H, W] -> [N, 1, H, W]. The
 * model runs in evaluation mode; its parameters get no gradients. With `smooth`, the map is the
 * mean of the maps of `samples` copies of the input with Gaussian noise added (SmoothGrad); the
 * target class is fixed from the clean input.
 */
export function saliency(model: Module, x: Tensor, opts: SaliencyOptions = {}): Tensor {
  const op = 'saliency';
  requireImageBatch(op, x);
  const reduce = opts.reduce ?? 'max';
  if (reduce !== 'max' && reduce !== 'mean') {
    throw new ValueError(op, `reduce must be 'max' or 'mean'; got ${JSON.stringify(reduce)}`);
  }
  return withInputGradients(model, () => {
    const first = inputGradient(model, x, opts.target);
    if (!opts.smooth) return reduceChannels(first.grad, reduce);
    const samples = opts.smooth.samples ?? 25;
    const sigmaFraction = opts.smooth.sigma ?? 0.15;
    if (!Number.isInteger(samples) || samples < 1 || !(sigmaFraction >= 0)) {
      throw new ValueError(
        op,
        `smooth needs samples >= 1 (an integer) and sigma >= 0; got samples ${samples}, sigma ${sigmaFraction}`,
      );
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const sigma = sigmaFraction * (hi - lo);
    const rng = new Rng(opts.smooth.seed ?? 0);
    const sum = new Float32Array(x.shape[0]! * x.shape[2]! * x.shape[3]!);
    for (let s = 0; s < samples; s++) {
      const noisy = new Float32Array(x.size);
      for (let i = 0; i < noisy.length; i++) noisy[i] = x.data[i]! + rng.normal(0, sigma);
      const map = reduceChannels(
        inputGradient(model, new Tensor(noisy, x.shape), first.classes).grad,
        reduce,
      );
      for (let i = 0; i < sum.length; i++) sum[i]! += map.data[i]! / samples;
    }
    return new Tensor(sum, [x.shape[0]!, 1, x.shape[2]!, x.shape[3]!]);
  });
}

/** d(sum of the target logits)/dx and the target classes; the caller holds input-gradient mode. */
function inputGradient(model: Module, x: Tensor, target: ClassTarget): { grad: Tensor; classes: number[] } {
  const leaf = inputLeaf(x);
  const logits = model.forward(leaf);
  const classes = resolveTarget('saliency', logits, target);
  targetScore(logits, classes).backward();
  return { grad: leaf.grad!, classes };
}

function reduceChannels(grad: Tensor, reduce: 'max' | 'mean'): Tensor {
  const a = grad.abs();
  return reduce === 'max' ? a.max(1, true) : a.mean(1, true);
}
