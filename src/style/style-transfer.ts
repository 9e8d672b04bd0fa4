import { ShapeError, ValueError } from '../errors.js';
import { resizeImage, type ImageSize } from '../data/augment/resize.js';
import { add, mul } from '../ops/elementwise.js';
import type { Graph } from '../nn/graph.js';
import { Adam } from '../optim/adam.js';
import { LBFGS } from '../optim/lbfgs.js';
import { rand } from '../tensor/creation.js';
import { Tensor } from '../tensor/tensor.js';
import { featureExtractor } from './feature-extractor.js';
import { gramMatrix } from './gram-matrix.js';
import { contentLoss, styleLoss, totalVariationLoss } from './style-losses.js';

/** Weights of the three terms of the style-transfer objective. */
export interface StyleTransferWeights {
  /** Weight α of the content loss (default 1). */
  content?: number;
  /** Weight β of the style loss, one number for every style layer or one per layer (default 1e5). */
  style?: number | readonly number[];
  /** Weight of the total-variation loss (default 0). */
  tv?: number;
}

/** The losses after one evaluation of the objective (weighted terms; `total` is their sum). */
export interface StyleTransferStep {
  /** 1-based evaluation number. */
  step: number;
  /** Of `steps`. */
  steps: number;
  total: number;
  /** α·content loss. */
  content: number;
  /** Σ β_l·style loss of layer l. */
  style: number;
  /** TV weight · total variation. */
  tv: number;
}

/** Options of {@link styleTransfer}. */
export interface StyleTransferOptions {
  /** The content image, [3, H, W] or [1, 3, H, W], RGB in [0, 1]. */
  content: Tensor;
  /** The style image, same layout; resized to the content's size before its Grams are taken. */
  style: Tensor;
  /** A pretrained convolutional network (an imported graph); only its named layers' activations are used. */
  backbone: Graph;
  /** Layers whose activations the content loss compares (usually one deep layer). */
  contentLayers: readonly string[];
  /** Layers whose Gram matrices the style loss compares (usually several, shallow to deep). */
  styleLayers: readonly string[];
  /** Loss weights (defaults: content 1, style 1e5, tv 0). */
  weights?: StyleTransferWeights;
  /**
   * Evaluations of the objective (forward + backward passes), for either optimizer. Default 100.
   * LBFGS may finish its last line search a few evaluations later, or stop early once converged.
   */
  steps?: number;
  /** `'lbfgs'` (default; {@link LBFGS} with the strong-Wolfe line search) or `'adam'`. */
  optimizer?: 'lbfgs' | 'adam';
  /** Learning rate (default 1 for LBFGS, 0.02 for Adam). */
  lr?: number;
  /** Resize the content image to this size first (one number: the longer side). */
  size?: number | readonly [number, number];
  /** Start from the content image (default) or from uniform noise. */
  init?: 'content' | 'noise';
  /** Seed of the noise start. */
  seed?: number;
  /** Maps an RGB [0, 1] batch to what the backbone expects (default: unchanged, as nsfwjs feeds). */
  preprocess?: (x: Tensor) => Tensor;
  /** Called after every evaluation with the weighted losses. */
  onStep?: (s: StyleTransferStep) => void;
}

/** What {@link styleTransfer} returns. */
export interface StyleTransferResult {
  /** The generated image, [1, 3, H, W], RGB in [0, 1]. */
  image: Tensor;
  /** The losses of every evaluation. */
  history: StyleTransferStep[];
}

function asBatch(op: string, what: string, x: Tensor): Tensor {
  const t = x.ndim === 3 ? new Tensor(x.data, [1, ...x.shape]) : x;
  if (t.ndim !== 4 || t.shape[0] !== 1 || t.shape[1] !== 3) {
    throw new ShapeError(
      op,
      `the ${what} image must be one RGB image`,
      '[3, H, W] or [1, 3, H, W]',
      x.shape,
      'read it with 3 channels',
    );
  }
  return t;
}

function targetSize(h: number, w: number, size: StyleTransferOptions['size']): [number, number] {
  if (size === undefined) return [h, w];
  if (typeof size !== 'number') return [size[0], size[1]];
  const scale = size / Math.max(h, w);
  return [Math.max(1, Math.round(h * scale)), Math.max(1, Math.round(w * scale))];
}

function resized(x: Tensor, size: ImageSize): Tensor {
  const [, c, h, w] = x.shape as [number, number, number, number];
  const s = typeof size === 'number' ? [size, size] : size;
  if (s[0] === h && s[1] === w) return x;
  const out = resizeImage(new Tensor(x.data, [c, h, w]), size);
  return new Tensor(out.data, [1, ...out.shape]);
}

/** The defaults of {@link styleTransfer}'s options, declared once (`stride style` shows and uses them). */
export const STYLE_TRANSFER_DEFAULTS = {
  steps: 100,
  optimizer: 'lbfgs',
  contentWeight: 1,
  styleWeight: 1e5,
  tvWeight: 0,
} as const;

/**
 * Neural style transfer (Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural
 * Networks", CVPR 2016): optimize the pixels of an image so that its deep activations match the
 * content image's ({@link contentLoss} at `contentLayers`) while the Gram matrices of its
 * activations match the style image's ({@link styleLoss} at `styleLayers`), plus an optional
 * total-variation term. The backbone is only read (its modules run in evaluation mode, their
 * parameters get no gradients); the image is clamped to [0, 1] before every evaluation.
 *
 * @example
 * const { image } = st.styleTransfer({ content, style, backbone, contentLayers: ['block_6_expand_relu'],
 *   styleLayers: ['Conv1_relu', 'block_1_expand_relu', 'block_3_expand_relu'], steps: 50 });
 */
export function styleTransfer(options: StyleTransferOptions): StyleTransferResult {
  const op = 'styleTransfer';
  const { backbone, contentLayers, styleLayers } = options;
  const steps = options.steps ?? STYLE_TRANSFER_DEFAULTS.steps;
  if (!Number.isInteger(steps) || steps < 1)
    throw new ValueError(op, `steps must be an integer >= 1, got ${steps}`);
  const kind = options.optimizer ?? STYLE_TRANSFER_DEFAULTS.optimizer;
  if (kind !== 'lbfgs' && kind !== 'adam')
    throw new ValueError(op, `optimizer must be 'lbfgs' or 'adam', got ${String(kind)}`);
  if (contentLayers.length === 0 && styleLayers.length === 0) {
    throw new ValueError(op, 'needs at least one content or style layer');
  }
  const alpha = options.weights?.content ?? STYLE_TRANSFER_DEFAULTS.contentWeight;
  const betaIn = options.weights?.style ?? STYLE_TRANSFER_DEFAULTS.styleWeight;
  const betas = typeof betaIn === 'number' ? styleLayers.map(() => betaIn) : [...betaIn];
  if (betas.length !== styleLayers.length) {
    throw new ValueError(
      op,
      `weights.style has ${betas.length} values for ${styleLayers.length} style layers`,
    );
  }
  const tvWeight = options.weights?.tv ?? STYLE_TRANSFER_DEFAULTS.tvWeight;
  const preprocess = options.preprocess ?? ((x: Tensor) => x);

  const content0 = asBatch(op, 'content', options.content);
  const [hw0, hw1] = targetSize(content0.shape[2]!, content0.shape[3]!, options.size);
  const content = resized(content0, [hw0, hw1]);
  const style = resized(asBatch(op, 'style', options.style), [hw0, hw1]);
  const features = featureExtractor(backbone, [...contentLayers, ...styleLayers]);
  const nc = contentLayers.length;

  const params = features.parameters();
  const wasTraining = backbone.training;
  const grads = params.map((p) => p.requiresGrad);
  features.eval();
  for (const p of params) p.requiresGrad = false;
  try {
    // The targets run the same (unfused) path as the generated image's features below, not the
    // fused inference path noGrad would pick: starting from the content image then gives a content
    // loss of exactly 0, not float rounding. Nothing requires a gradient here, so nothing is recorded.
    const contentTargets = features.forwardAll(preprocess(content)).slice(0, nc);
    const styleTargets = features
      .forwardAll(preprocess(style))
      .slice(nc)
      .map((f) => gramMatrix(f));
    const start = options.init === 'noise' ? rand(content.shape, { seed: options.seed ?? 0 }) : content;
    const image = new Tensor(start.data.slice(), start.shape).requiresGrad_();
    const optimizer =
      kind === 'adam'
        ? new Adam([image], { lr: options.lr ?? 0.02 })
        : new LBFGS([image], { lr: options.lr ?? 1, lineSearchFn: 'strong_wolfe', historySize: 50 });
    const history: StyleTransferStep[] = [];
    const closure = (): Tensor => {
      const d = image.data;
      for (let i = 0; i < d.length; i++) d[i] = Math.min(1, Math.max(0, d[i]!));
      optimizer.zeroGrad();
      const outs = features.forwardAll(preprocess(image));
      let c: Tensor | null = null;
      outs.slice(0, nc).forEach((f, i) => {
        const l = mul(contentLoss(f, contentTargets[i]!), alpha);
        c = c === null ? l : add(c, l);
      });
      let s: Tensor | null = null;
      outs.slice(nc).forEach((f, i) => {
        const l = mul(styleLoss(f, styleTargets[i]!), betas[i]!);
        s = s === null ? l : add(s, l);
      });
      const tv = tvWeight === 0 ? null : mul(totalVariationLoss(image), tvWeight);
      const terms = [c, s, tv].filter((t): t is Tensor => t !== null);
      const total = terms.slice(1).reduce((a, b) => add(a, b), terms[0]!);
      total.backward();
      const rec: StyleTransferStep = {
        step: history.length + 1,
        steps,
        total: total.item(),
        content: c === null ? 0 : (c as Tensor).item(),
        style: s === null ? 0 : (s as Tensor).item(),
        tv: tv === null ? 0 : tv.item(),
      };
      history.push(rec);
      options.onStep?.(rec);
      return total;
    };
    if (optimizer instanceof LBFGS) {
      while (history.length < steps) {
        const left = steps - history.length;
        const before = history.length;
        optimizer.paramGroups[0]!.maxIter = left;
        optimizer.paramGroups[0]!.maxEval = left;
        optimizer.step(closure);
        if (history.length === before + 1 && history.length < steps) {
          // Converged (tiny gradient or no progress): further steps would not move the image.
          break;
        }
      }
    } else {
      for (let k = 0; k < steps; k++) optimizer.step(closure);
    }
    const d = image.data;
    for (let i = 0; i < d.length; i++) d[i] = Math.min(1, Math.max(0, d[i]!));
    return { image: new Tensor(d, image.shape), history };
  } finally {
    params.forEach((p, i) => (p.requiresGrad = grads[i]!));
    backbone.train(wasTraining);
  }
}
