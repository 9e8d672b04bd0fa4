/**
 * Loss functions with PyTorch's definitions, defaults and reductions. This file checks shapes,
 * targets and options; the arithmetic runs in backend kernels: crossEntropy is the logSoftmax
 * kernel followed by the nllLoss kernel (its gradient, scale · (softmax · Σa - a) for the per-class
 * target weights a, comes from nllLossBackward in one pass), the point-wise losses are rows of the
 * pointwiseLoss kernel (backend/reference/pointwise-loss.ts), and the reduction is a sum kernel.
 */
import { record } from '../autograd/grad-fn.js';
import type { ClassLossParams, PointwiseLossOp } from '../backend/backend.js';
import { kernels } from '../backend/registry.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import type { FloatArray } from '../tensor/dtype.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { binaryRaw } from './elementwise.js';
import { dimGeometry, logSoftmaxInto } from './softmax.js';

/** How a loss combines its per-element values: their mean (default), their sum, or none (keep them). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options shared by every loss. */
export interface LossOptions {
  /** `'mean'` (default), `'sum'` or `'none'` (return the unreduced losses). */
  reduction?: Reduction;
}

/** Options of {@link nllLoss}. */
export interface NllLossOptions extends LossOptions {
  /** One weight per class, shape [C]; with `'mean'` the loss is divided by the summed weights of the targets. */
  weight?: Tensor;
  /** Target value whose samples contribute neither loss nor gradient (default -100, as in PyTorch). */
  ignoreIndex?: number;
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends NllLossOptions {
  /**
   * Amount ε in [0, 1] of label smoothing (default 0): the target becomes (1-ε)·target + ε/C
   * (Szegedy et al. 2016).
   */
  labelSmoothing?: number;
}

/** Options of {@link binaryCrossEntropy}. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /** Rescaling weight of each element, broadcastable to the input's shape. */
  weight?: Tensor;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /**
   * Weight of the positive term, broadcastable to the input's shape (usually [C], one per class):
   * values above 1 raise recall, below 1 precision.
   */
  posWeight?: Tensor;
}

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1LossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1); 0 makes it the L1 loss. */
  beta?: number;
}

/** Options of {@link huberLoss}. */
export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1). */
  delta?: number;
}

/** PyTorch's default ignoreIndex. */
export const DEFAULT_IGNORE_INDEX = -100;

/** Validate a reduction name (default 'mean'). */
export function checkReduction(op: string, reduction: unknown): Reduction {
  if (reduction === undefined) return 'mean';
  if (reduction === 'mean' || reduction === 'sum' || reduction === 'none') return reduction;
  throw new ValueError(
    op,
    `reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}. Fix: use one of those three names`,
  );
}

/**
 * The loss tensor: a 0-d tensor holding Σ loss (`'sum'`) or Σ loss / denominator (`'mean'`), or the
 * per-element losses in `shape` (`'none'`).
 */
export function reduceLoss(
  losses: Float64Array,
  shape: readonly number[],
  like: Tensor,
  reduction: Reduction,
  denominator: number,
): Tensor {
  if (reduction === 'none') {
    const out = empty(shape, like.dtype);
    out.data.set(losses);
    return out;
  }
  const total = new Float64Array(1);
  kernels().reduce('sum', losses, [losses.length], [0], total);
  const out = empty([], like.dtype);
  out.data[0] = reduction === 'sum' ? total[0]! : total[0]! / denominator;
  return out;
}

/** The factor by which the gradient of element j's loss is scaled, given the output gradient. */
export function gradScales(
  g: FloatArray,
  count: number,
  reduction: Reduction,
  denominator: number,
): Float64Array {
  const s = new Float64Array(count);
  if (reduction === 'none') s.set(g);
  else s.fill(reduction === 'sum' ? g[0]! : g[0]! / denominator);
  return s;
}

// ---- classification with class indices or class probabilities ----

/** The logits (or log-probabilities) seen as [N, C, inner]: sample j = o·inner + i. */
export interface ClassLayout {
  outer: number;
  classes: number;
  inner: number;
  /** Shape of one value per sample: the input's shape without the class dimension. */
  sampleShape: number[];
}

/** The logits seen as [outer, C, inner], with one sample per (outer, inner) pair. */
export function classLayout(op: string, input: Tensor): ClassLayout {
  if (input.ndim === 0) {
    throw new ShapeError(
      op,
      'input must hold class scores',
      '[C], [N, C] or [N, C, d1, ...]',
      input.shape,
      'pass one score per class',
    );
  }
  // [C] is one unbatched sample; otherwise the class dimension is 1 (NCHW for segmentation).
  const geo = dimGeometry(op, input.shape, input.ndim === 1 ? 0 : 1);
  return {
    outer: geo.outer,
    classes: geo.n,
    inner: geo.inner,
    sampleShape: input.shape.filter((_, j) => j !== geo.dim),
  };
}

/** Per-class weights [C] as float64, or null. */
export function classWeights(op: string, weight: Tensor | undefined, classes: number): Float64Array | null {
  if (weight === undefined) return null;
  if (weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new ShapeError(op, 'weight must hold one value per class', [classes], weight.shape);
  }
  return Float64Array.from(weight.data);
}

/**
 * Check class-index targets: the input's shape without the class dimension, every value an integer
 * in [0, C) or the ignore index. Returns each sample's class, -1 for ignored samples.
 */
export function classIndices(
  op: string,
  target: Tensor,
  layout: ClassLayout,
  ignoreIndex: number,
): Int32Array {
  if (!shapesEqual(target.shape, layout.sampleShape)) {
    const probShape = [...layout.sampleShape];
    probShape.splice(layout.sampleShape.length === 0 ? 0 : 1, 0, layout.classes);
    throw new ShapeError(
      op,
      'target must hold one class index per sample (or, for crossEntropy, class probabilities shaped like the input)',
      `[${layout.sampleShape.join(', ')}] (class indices)${op === 'crossEntropy' ? ` or [${probShape.join(', ')}] (probabilities)` : ''}`,
      target.shape,
      'give targets as a tensor of class indices with the batch (and spatial) dimensions of the input',
    );
  }
  const cls = new Int32Array(target.size);
  const C = layout.classes;
  for (let j = 0; j < target.size; j++) {
    const v = target.data[j]!;
    if (v === ignoreIndex) {
      cls[j] = -1;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= C) {
      throw new ValueError(
        op,
        `target[${j}] = ${v} is not a class index: expected an integer in [0, ${C}) (or ignoreIndex ${ignoreIndex}). ` +
          `Fix: number the classes 0..${C - 1}, or make the last layer output ${Number.isInteger(v) && v >= C ? v + 1 : C} classes`,
      );
    }
    cls[j] = v;
  }
  return cls;
}

function checkSmoothing(op: string, eps: number): void {
  if (!(eps >= 0 && eps <= 1)) {
    throw new ValueError(
      op,
      `labelSmoothing must be in [0, 1], got ${eps}. Fix: typical values are 0.1 or 0`,
    );
  }
}

/**
 * Cross-entropy between logits and targets: log-softmax over the class dimension, then the negative
 * log-likelihood, as `torch.nn.functional.cross_entropy`.
 *
 * - `input`: [C], [N, C], or [N, C, d1, ...] (e.g. [N, C, H, W] for segmentation).
 * - `target`: class indices, shaped like `input` without the class dimension ([N], [N, H, W]...),
 *   each an integer in [0, C) or `ignoreIndex`; or class probabilities (e.g. one-hot) of the input's
 *   own shape.
 *
 * With class indices and `'mean'`, the sum is divided by the summed class weights of the
 * non-ignored samples (their count without `weight`); with probabilities, by the number of samples.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const reduction = checkReduction(op, opts.reduction);
  const eps = opts.labelSmoothing ?? 0;
  checkSmoothing(op, eps);
  const layout = classLayout(op, input);
  const w = classWeights(op, opts.weight, layout.classes);
  if (shapesEqual(target.shape, input.shape)) {
    return crossEntropyProbabilities(input, target, layout, w, eps, reduction);
  }
  const ignoreIndex = opts.ignoreIndex ?? DEFAULT_IGNORE_INDEX;
  const cls = classIndices(op, target, layout, ignoreIndex);
  return classIndexLoss(op, input, cls, layout, w, eps, reduction, true);
}

/**
 * Negative log-likelihood of log-probabilities (e.g. the output of logSoftmax) given class-index
 * targets, as `torch.nn.functional.nll_loss`: loss = -weight[y] · input[y]. Shapes as in
 * {@link crossEntropy} with class indices.
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const reduction = checkReduction(op, opts.reduction);
  const layout = classLayout(op, input);
  const w = classWeights(op, opts.weight, layout.classes);
  const cls = classIndices(op, target, layout, opts.ignoreIndex ?? DEFAULT_IGNORE_INDEX);
  return classIndexLoss(op, input, cls, layout, w, 0, reduction, false);
}

/**
 * Shared by crossEntropy (fromLogits: log-softmax first) and nllLoss (input already log-probabilities).
 * Sample loss: Σ_c a_c · (-logp_c) with a_c = (1-ε)·w_y·[c = y] + ε/C·w_c.
 */
function classIndexLoss(
  op: string,
  input: Tensor,
  cls: Int32Array,
  layout: ClassLayout,
  w: Float64Array | null,
  eps: number,
  reduction: Reduction,
  fromLogits: boolean,
): Tensor {
  const { outer, classes, inner } = layout;
  const p: ClassLossParams = { outer, classes, inner, labelSmoothing: eps, fromLogits };
  let logp: FloatArray = input.data;
  if (fromLogits) {
    logp = empty(input.shape, input.dtype).data;
    logSoftmaxInto(input.data, logp, { outer, n: classes, inner, dim: 1 });
  }
  const samples = outer * inner;
  const losses = new Float64Array(samples);
  kernels().nllLoss(p, logp, cls, w, losses);
  // The 'mean' denominator: the summed weights of the targets (a loop over targets, not scores).
  let weightSum = 0;
  for (let j = 0; j < samples; j++) {
    const y = cls[j]!;
    if (y >= 0) weightSum += w ? w[y]! : 1;
  }
  const out = reduceLoss(losses, layout.sampleShape, input, reduction, weightSum);
  return record(
    op,
    [input],
    out,
    (grad) => {
      const s = gradScales(grad.data, samples, reduction, weightSum);
      const dx = empty(input.shape, input.dtype);
      kernels().nllLossBackward(p, logp, cls, w, s, dx.data);
      return [dx];
    },
    { reduction, labelSmoothing: eps },
  );
}

/** crossEntropy with class-probability targets: sample loss -Σ_c w_c · t'_c · logp_c, t' = (1-ε)t + ε/C. */
function crossEntropyProbabilities(
  input: Tensor,
  target: Tensor,
  layout: ClassLayout,
  w: Float64Array | null,
  eps: number,
  reduction: Reduction,
): Tensor {
  const op = 'crossEntropy';
  if (target.dtype !== input.dtype) throw new DTypeError(op, input.dtype, target.dtype);
  const { outer, classes, inner } = layout;
  const p: ClassLossParams = { outer, classes, inner, labelSmoothing: eps, fromLogits: true };
  const logp = empty(input.shape, input.dtype).data;
  logSoftmaxInto(input.data, logp, { outer, n: classes, inner, dim: 1 });
  const samples = outer * inner;
  const losses = new Float64Array(samples);
  kernels().softTargetCrossEntropy(p, logp, target.data, w, losses);
  const out = reduceLoss(losses, layout.sampleShape, input, reduction, samples);
  return record(
    op,
    [input, target],
    out,
    (grad, needs) => {
      const s = gradScales(grad.data, samples, reduction, samples);
      const dx = needs[0] ? empty(input.shape, input.dtype) : null;
      const dt = needs[1] ? empty(target.shape, target.dtype) : null;
      kernels().softTargetCrossEntropyBackward(
        p,
        logp,
        target.data,
        w,
        s,
        dx?.data ?? null,
        dt?.data ?? null,
      );
      return [dx, dt];
    },
    { reduction, labelSmoothing: eps },
  );
}

// ---- point-wise losses ----

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError(
      op,
      'target must have the shape of the input',
      input.shape,
      target.shape,
      'reshape the target (or the model output) so the two match element for element',
    );
  }
  if (input.dtype !== target.dtype) throw new DTypeError(op, input.dtype, target.dtype);
}

/** The values of `t` broadcast to `shape` (a per-element weight). */
function broadcastValues(op: string, name: string, t: Tensor, shape: readonly number[]): FloatArray {
  const s = broadcastShapes(op, t.shape, shape);
  if (!shapesEqual(s, shape)) {
    throw new ShapeError(op, `${name} must broadcast to the input's shape`, shape, t.shape);
  }
  if (shapesEqual(t.shape, shape)) return t.data;
  const zeros = empty(shape, 'float64');
  return binaryRaw('add', zeros, t.dtype === 'float64' ? t : t.to('float64')).data;
}

/**
 * A loss applied element by element to (input, target) pairs: the backend's pointwiseLoss kernel
 * `kernel` (with its per-element weights and parameter), reported under `op`.
 */
function pointwiseLoss(
  op: string,
  kernel: PointwiseLossOp,
  input: Tensor,
  target: Tensor,
  opts: LossOptions,
  extra: { weight?: FloatArray | null; posWeight?: FloatArray | null; param?: number } = {},
): Tensor {
  const reduction = checkReduction(op, opts.reduction);
  checkSameShape(op, input, target);
  const n = input.size;
  const w = extra.weight ?? null;
  const pw = extra.posWeight ?? null;
  const param = extra.param ?? 0;
  const losses = new Float64Array(n);
  kernels().pointwiseLoss(kernel, input.data, target.data, w, pw, param, losses);
  const out = reduceLoss(losses, input.shape, input, reduction, n);
  return record(
    op,
    [input, target],
    out,
    (grad, needs) => {
      const s = gradScales(grad.data, n, reduction, n);
      const dx = needs[0] ? empty(input.shape, input.dtype) : null;
      const dt = needs[1] ? empty(target.shape, target.dtype) : null;
      kernels().pointwiseLossBackward(
        kernel,
        input.data,
        target.data,
        w,
        pw,
        param,
        s,
        dx?.data ?? null,
        dt?.data ?? null,
      );
      return [dx, dt];
    },
    { reduction },
  );
}

/** Mean squared error, (input - target)², as `torch.nn.functional.mse_loss`. Shapes must match. */
export function mseLoss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwiseLoss('mseLoss', 'mse', input, target, opts);
}

/** Mean absolute error, |input - target|, as `torch.nn.functional.l1_loss` (gradient 0 where equal). */
export function l1Loss(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwiseLoss('l1Loss', 'l1', input, target, opts);
}

/**
 * Smooth L1 (Fast R-CNN's box regression loss), as `torch.nn.functional.smooth_l1_loss`: with
 * d = |input - target|, 0.5·d²/beta where d < beta, else d - 0.5·beta (default beta 1).
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) {
    throw new ValueError('smoothL1Loss', `beta must be non-negative, got ${beta}. Fix: the default is 1`);
  }
  // With beta 0 the loss is the L1 loss (the quadratic part vanishes).
  if (beta === 0) return pointwiseLoss('smoothL1Loss', 'l1', input, target, opts);
  return pointwiseLoss('smoothL1Loss', 'smoothL1', input, target, opts, { param: beta });
}

/**
 * Huber loss, as `torch.nn.functional.huber_loss`: with d = |input - target|, 0.5·d² where
 * d < delta, else delta·(d - 0.5·delta) (default delta 1). Equals delta · smoothL1Loss(beta = delta).
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) {
    throw new ValueError('huberLoss', `delta must be positive, got ${delta}. Fix: the default is 1`);
  }
  return pointwiseLoss('huberLoss', 'huber', input, target, opts, { param: delta });
}

/**
 * Binary cross-entropy of probabilities, as `torch.nn.functional.binary_cross_entropy`:
 * -w · (t · log x + (1-t) · log(1-x)) with each log clamped at -100. Inputs must lie in [0, 1]
 * (apply sigmoid first, or better use {@link binaryCrossEntropyWithLogits}).
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  opts: BinaryCrossEntropyOptions = {},
): Tensor {
  const op = 'binaryCrossEntropy';
  checkSameShape(op, input, target);
  for (let j = 0; j < input.size; j++) {
    const v = input.data[j]!;
    if (!(v >= 0 && v <= 1)) {
      throw new ValueError(
        op,
        `input[${j}] = ${v} is not a probability: expected every input in [0, 1]. ` +
          'Fix: apply sigmoid first, or pass the logits to binaryCrossEntropyWithLogits',
      );
    }
  }
  const weight = opts.weight ? broadcastValues(op, 'weight', opts.weight, input.shape) : null;
  return pointwiseLoss(op, 'binaryCrossEntropy', input, target, opts, { weight });
}

/**
 * Binary cross-entropy on logits, as `torch.nn.functional.binary_cross_entropy_with_logits`:
 * sigmoid and log fused stably, -w · (p·t·log σ(x) + (1-t)·log(1-σ(x))) with p = posWeight.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: BinaryCrossEntropyWithLogitsOptions = {},
): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  checkSameShape(op, input, target);
  const weight = opts.weight ? broadcastValues(op, 'weight', opts.weight, input.shape) : null;
  const posWeight = opts.posWeight ? broadcastValues(op, 'posWeight', opts.posWeight, input.shape) : null;
  return pointwiseLoss(op, 'binaryCrossEntropyWithLogits', input, target, opts, { weight, posWeight });
}
