import { ShapeError, ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { requireImageBatch } from '../ops/pool2d.js';
import { upsample } from '../ops/upsample.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Tensor } from '../tensor/tensor.js';
import { captureOutputs } from './capture-outputs.js';
import { resolveTarget, targetScore, type ClassTarget } from './class-target.js';
import { withInputGradients } from './input-gradient-mode.js';

/** Options of {@link gradCam} and {@link gradCamPlusPlus}. */
export interface GradCamOptions {
  /** Dotted name of the layer whose feature maps [N, K, h, w] are weighted (usually the last conv block). */
  layer: string;
  /** The class whose score is explained (default: the predicted class of each sample). */
  target?: ClassTarget;
}

/** How the K channel weights of one sample are computed from its maps A and gradients G [K, h*w]. */
type ChannelWeights = (a: Float32Array, g: Float32Array, k: number, hw: number) => Float32Array;

/**
 * Grad-CAM (Selvaraju et al. 2017): the layer's feature maps A_k weighted by the spatial mean of
 * d score / d A_k, summed over k, through a ReLU, resized to the input's H x W (bilinear) and
 * divided by its maximum so it lies in [0, 1] (all zeros when nothing is positive):
 * [N, C, H, W] -> [N, 1, H, W].
 */
export function gradCam(model: Module, x: Tensor, opts: GradCamOptions): Tensor {
  return classActivationMap('gradCam', model, x, opts, (_a, g, k, hw) => {
    const w = new Float32Array(k);
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += g[c * hw + p]!;
      w[c] = s / hw;
    }
    return w;
  });
}

/**
 * Grad-CAM++ (Chattopadhyay et al. 2018): like {@link gradCam}, but each channel's weight is
 * sum_ij alpha_ij * ReLU(G_ij) with alpha_ij = G_ij^2 / (2 G_ij^2 + sum_ab A_ab G_ij^3) (the
 * closed form for an exponential of the score), which localizes several instances of a class
 * better than the plain mean of the gradient.
 */
export function gradCamPlusPlus(model: Module, x: Tensor, opts: GradCamOptions): Tensor {
  return classActivationMap('gradCamPlusPlus', model, x, opts, (a, g, k, hw) => {
    const w = new Float32Array(k);
    for (let c = 0; c < k; c++) {
      let sumA = 0;
      for (let p = 0; p < hw; p++) sumA += a[c * hw + p]!;
      let s = 0;
      for (let p = 0; p < hw; p++) {
        const gi = g[c * hw + p]!;
        const g2 = gi * gi;
        const denom = 2 * g2 + sumA * g2 * gi;
        const alpha = denom !== 0 ? g2 / denom : 0;
        s += alpha * Math.max(gi, 0);
      }
      w[c] = s;
    }
    return w;
  });
}

function classActivationMap(
  op: string,
  model: Module,
  x: Tensor,
  opts: GradCamOptions,
  weights: ChannelWeights,
): Tensor {
  requireImageBatch(op, x);
  if (typeof opts?.layer !== 'string') {
    throw new ValueError(op, "options need the layer to explain, e.g. { layer: 'features.10' }");
  }
  return withInputGradients(model, () => {
    const { result: logits, outputs } = captureOutputs(op, model, [opts.layer], () => model.forward(x), {
      asLeaf: true,
    });
    const maps = outputs.get(opts.layer);
    if (!maps) {
      throw new ValueError(op, `layer '${opts.layer}' did not run in the model's forward pass`);
    }
    if (maps.ndim !== 4) {
      throw new ShapeError(
        op,
        `layer '${opts.layer}' must output feature maps`,
        '[N, K, h, w]',
        maps.shape,
        'pick a convolution, activation or pooling layer before the flatten/classifier',
      );
    }
    targetScore(logits, resolveTarget(op, logits, opts.target)).backward();
    const [n, k, h, w] = maps.shape as [number, number, number, number];
    const hw = h * w;
    const grad = maps.grad ?? new Tensor(new Float32Array(maps.size), maps.shape);
    const cam = new Float32Array(n * hw);
    for (let i = 0; i < n; i++) {
      const a = Float32Array.from(maps.data.subarray(i * k * hw, (i + 1) * k * hw));
      const g = Float32Array.from(grad.data.subarray(i * k * hw, (i + 1) * k * hw));
      const wk = weights(a, g, k, hw);
      for (let c = 0; c < k; c++) for (let p = 0; p < hw; p++) cam[i * hw + p]! += wk[c]! * a[c * hw + p]!;
      for (let p = 0; p < hw; p++) cam[i * hw + p] = Math.max(cam[i * hw + p]!, 0);
    }
    const [H, W] = [x.shape[2]!, x.shape[3]!];
    const small = new Tensor(cam, [n, 1, h, w]);
    const big =
      h === H && w === W ? small : noGrad(() => upsample(small, { size: [H, W], mode: 'bilinear' }));
    return scaleEachToUnit(big);
  });
}

/** Divide each sample's map [N, 1, H, W] by its maximum (a map with no positive value stays zero). */
export function scaleEachToUnit(maps: Tensor): Tensor {
  const n = maps.shape[0]!;
  const per = maps.size / n;
  const out = new Float32Array(maps.size);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let p = 0; p < per; p++) m = Math.max(m, maps.data[i * per + p]!);
    for (let p = 0; p < per; p++) out[i * per + p] = m > 0 ? Math.max(maps.data[i * per + p]!, 0) / m : 0;
  }
  return new Tensor(out, maps.shape);
}
