import { ShapeError, ValueError } from '../errors.js';
import { batchNorm } from '../ops/batch-norm.js';
import { groupNorm } from '../ops/group-norm.js';
import { instanceNorm } from '../ops/instance-norm.js';
import { layerNorm } from '../ops/layer-norm.js';
import { localResponseNorm } from '../ops/local-response-norm.js';
import { ones, scalar, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInt, checkRange } from './layer-args.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of {@link BatchNorm2d} and {@link BatchNorm1d} (PyTorch's keywords, camelCase). */
export interface BatchNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Weight of each batch statistic in the running averages (default 0.1, PyTorch's convention:
   * running = (1 - momentum)·running + momentum·batch). `null` keeps a cumulative average instead.
   */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` (ones) and shift `bias` (zeros) (default true). */
  affine?: boolean;
  /**
   * Keep `running_mean`, `running_var` and `num_batches_tracked` buffers and normalize with them
   * in evaluation mode (default true); false always uses the batch statistics.
   */
  trackRunningStats?: boolean;
}

/** Shared implementation of BatchNorm1d/2d: parameters, buffers and the training/eval switch. */
abstract class BatchNormBase extends Module {
  /** Per-channel scale [numFeatures] (ones), or null when not affine. */
  weight: Parameter | null;
  /** Per-channel shift [numFeatures] (zeros), or null when not affine. */
  bias: Parameter | null;
  /** Running mean [numFeatures] (buffer `running_mean`), or null without running statistics. */
  readonly runningMean: Tensor | null;
  /** Running (unbiased) variance [numFeatures] (buffer `running_var`), or null. */
  readonly runningVar: Tensor | null;
  /** Training batches seen (buffer `num_batches_tracked`, a 0-d tensor), or null. */
  readonly numBatchesTracked: Tensor | null;
  /** Channels C of the input. */
  readonly numFeatures: number;
  /** Added to the variance. */
  readonly eps: number;
  /** Running-average weight, or null for a cumulative average. */
  readonly momentum: number | null;
  /** Whether weight and bias exist. */
  readonly affine: boolean;
  /** Whether running statistics are kept. */
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, opts: BatchNormLayerOptions) {
    super();
    const name = new.target.name;
    this.numFeatures = checkInt(name, 'numFeatures', numFeatures);
    this.eps = checkRange(name, 'eps', opts.eps ?? 1e-5, 0, Infinity);
    this.momentum = opts.momentum === null ? null : checkRange(name, 'momentum', opts.momentum ?? 0.1, 0, 1);
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures])) : null;
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.runningVar = this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? scalar(0) : null);
  }

  override get keepsRunningStatistics(): boolean {
    return true;
  }

  /** Ranks this layer accepts, and how to describe them. */
  protected abstract checkInput(x: Tensor): void;

  /** Reset the running statistics (mean 0, variance 1, no batches). */
  resetRunningStats(): void {
    this.runningMean?.data.fill(0);
    this.runningVar?.data.fill(1);
    this.numBatchesTracked?.data.fill(0);
    this.runningMean?.markChanged();
    this.runningVar?.markChanged();
  }

  /**
   * Training mode: normalize with this batch's statistics and update the running ones (unless
   * {@link statisticsFrozen}: then as in evaluation). Evaluation mode: normalize with the running statistics (or the batch's, without running statistics).
   */
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        this.typeName,
        `the input has ${x.shape[1]} channels but the layer normalizes ${this.numFeatures}`,
        `[N, ${this.numFeatures}, ...]`,
        x.shape,
        `build the layer with numFeatures = ${x.shape[1]} (the channels of the previous layer's output)`,
      );
    }
    let factor = this.momentum ?? 0;
    const training = this.training && !(this.statisticsFrozen && this.runningMean);
    if (training && this.numBatchesTracked) {
      this.numBatchesTracked.data[0]! += 1;
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.data[0]!;
    }
    const useBatchStats = training || !this.runningMean;
    const y = batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: useBatchStats,
      momentum: factor,
      eps: this.eps,
    });
    // The running statistics changed in place: what was derived from them (a convolution's
    // folded inference weights) must be derived again.
    if (useBatchStats) {
      this.runningMean?.markChanged();
      this.runningVar?.markChanged();
    }
    return y;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/**
 * Batch normalization of feature maps [N, C, H, W] per channel, like `torch.nn.BatchNorm2d`.
 * Parameters `weight`, `bias`; buffers `running_mean`, `running_var`, `num_batches_tracked`
 * (state-dict keys `bn1.running_mean`, ...). The module's `training` flag (see `train()`/`eval()`)
 * picks batch or running statistics.
 */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super(numFeatures, opts);
  }

  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) {
      throw new ShapeError(
        'BatchNorm2d',
        'the input must be a batch of feature maps',
        '[N, C, H, W]',
        x.shape,
        x.ndim === 2 || x.ndim === 3 ? 'use BatchNorm1d for [N, C] or [N, C, L]' : 'add the batch dimension',
      );
    }
  }
}

/**
 * Batch normalization of [N, C] features (after a Linear layer) or [N, C, L] sequences, like
 * `torch.nn.BatchNorm1d`; otherwise the same as {@link BatchNorm2d}.
 */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super(numFeatures, opts);
  }

  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw new ShapeError(
        'BatchNorm1d',
        'the input must be [N, C] or [N, C, L]',
        '[N, C] or [N, C, L]',
        x.shape,
        x.ndim === 4 ? 'use BatchNorm2d for feature maps [N, C, H, W]' : 'add the batch dimension',
      );
    }
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn an element-wise `weight` (ones) and `bias` (zeros) of the normalized shape (default true). */
  elementwiseAffine?: boolean;
  /** With the affine transform, also learn the bias (default true). */
  bias?: boolean;
}

/**
 * Layer normalization over the trailing `normalizedShape` dimensions of each sample, like
 * `torch.nn.LayerNorm` (e.g. `new LayerNorm([C, H, W])` for whole feature maps, `new LayerNorm(C)`
 * for the last dimension). Same in training and evaluation.
 */
export class LayerNorm extends Module {
  /** Element-wise scale (ones) of the normalized shape, or null. */
  weight: Parameter | null;
  /** Element-wise shift (zeros) of the normalized shape, or null. */
  bias: Parameter | null;
  /** The trailing dimensions normalized over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance. */
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormLayerOptions = {}) {
    super();
    const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (ns.length === 0) throw new ValueError('LayerNorm', 'normalizedShape needs at least one dimension');
    for (const d of ns) checkInt('LayerNorm', 'normalizedShape entries', d);
    this.normalizedShape = ns;
    this.eps = checkRange('LayerNorm', 'eps', opts.eps ?? 1e-5, 0, Infinity);
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(ones(ns)) : null;
    this.bias = affine && opts.bias !== false ? new Parameter(zeros(ns)) : null;
  }

  /** Normalize each sample over the trailing dimensions. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

/** Options of {@link InstanceNorm2d} (PyTorch's defaults: no affine, no running statistics). */
export interface InstanceNormLayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each batch's statistics in the running averages (default 0.1). */
  momentum?: number;
  /** Learn a per-channel `weight` (ones) and `bias` (zeros) (default false). */
  affine?: boolean;
  /** Keep running statistics and use them in evaluation mode (default false). */
  trackRunningStats?: boolean;
}

/**
 * Instance normalization of each channel of each image [N, C, H, W] (or one image [C, H, W]) by its
 * own spatial statistics, like `torch.nn.InstanceNorm2d`: the normalization of style transfer.
 */
export class InstanceNorm2d extends Module {
  /** Per-channel scale, or null (the default). */
  weight: Parameter | null;
  /** Per-channel shift, or null (the default). */
  bias: Parameter | null;
  /** Running mean (buffer `running_mean`) when tracking, else null. */
  readonly runningMean: Tensor | null;
  /** Running variance (buffer `running_var`) when tracking, else null. */
  readonly runningVar: Tensor | null;
  /** Buffer `num_batches_tracked` when tracking (kept for PyTorch's state-dict layout), else null. */
  readonly numBatchesTracked: Tensor | null;
  /** Channels C. */
  readonly numFeatures: number;
  /** Added to the variance. */
  readonly eps: number;
  /** Running-average weight. */
  readonly momentum: number;
  /** Whether weight and bias exist. */
  readonly affine: boolean;
  /** Whether running statistics are kept. */
  readonly trackRunningStats: boolean;

  constructor(numFeatures: number, opts: InstanceNormLayerOptions = {}) {
    super();
    this.numFeatures = checkInt('InstanceNorm2d', 'numFeatures', numFeatures);
    this.eps = checkRange('InstanceNorm2d', 'eps', opts.eps ?? 1e-5, 0, Infinity);
    this.momentum = checkRange('InstanceNorm2d', 'momentum', opts.momentum ?? 0.1, 0, 1);
    this.affine = opts.affine ?? false;
    this.trackRunningStats = opts.trackRunningStats ?? false;
    this.weight = this.affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures])) : null;
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? zeros([numFeatures]) : null);
    this.runningVar = this.registerBuffer('running_var', track ? ones([numFeatures]) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? scalar(0) : null);
  }

  /** Normalize each (image, channel) plane. */
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 && x.ndim !== 3) {
      throw new ShapeError(
        'InstanceNorm2d',
        'the input must be images',
        '[N, C, H, W] or [C, H, W]',
        x.shape,
        'reshape the input into feature maps',
      );
    }
    const batched = x.ndim === 4 ? x : x.unsqueeze(0);
    const y = instanceNorm(batched, {
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum,
      eps: this.eps,
    });
    return x.ndim === 4 ? y : y.squeeze(0);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }
}

/**
 * Group normalization, like `torch.nn.GroupNorm`: the channels are split into `numGroups` groups,
 * each normalized per sample; per-channel `weight` (ones) and `bias` (zeros) when affine.
 */
export class GroupNorm extends Module {
  /** Per-channel scale, or null. */
  weight: Parameter | null;
  /** Per-channel shift, or null. */
  bias: Parameter | null;
  /** Number of channel groups. */
  readonly numGroups: number;
  /** Channels C (divisible by numGroups). */
  readonly numChannels: number;
  /** Added to the variance. */
  readonly eps: number;

  constructor(numGroups: number, numChannels: number, opts: { eps?: number; affine?: boolean } = {}) {
    super();
    this.numGroups = checkInt('GroupNorm', 'numGroups', numGroups);
    this.numChannels = checkInt('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw new ValueError(
        'GroupNorm',
        `numChannels (${numChannels}) must be divisible by numGroups (${numGroups}). Fix: pick a divisor of the channel count`,
      );
    }
    this.eps = checkRange('GroupNorm', 'eps', opts.eps ?? 1e-5, 0, Infinity);
    const affine = opts.affine ?? true;
    this.weight = affine ? new Parameter(ones([numChannels])) : null;
    this.bias = affine ? new Parameter(zeros([numChannels])) : null;
  }

  /** Normalize each group of each sample. */
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}

/**
 * Local response normalization across neighbouring channels, AlexNet's LRN, like
 * `torch.nn.LocalResponseNorm` (defaults alpha 1e-4, beta 0.75, k 1). No parameters.
 */
export class LocalResponseNorm extends Module {
  /** Channels in each window. */
  readonly size: number;
  /** Multiplier of the averaged squares. */
  readonly alpha: number;
  /** Exponent. */
  readonly beta: number;
  /** Additive constant. */
  readonly k: number;

  constructor(size: number, opts: { alpha?: number; beta?: number; k?: number } = {}) {
    super();
    this.size = checkInt('LocalResponseNorm', 'size', size);
    this.alpha = opts.alpha ?? 1e-4;
    this.beta = opts.beta ?? 0.75;
    this.k = opts.k ?? 1;
  }

  /** Normalize across channels. */
  forward(x: Tensor): Tensor {
    return localResponseNorm(x, this.size, { alpha: this.alpha, beta: this.beta, k: this.k });
  }

  override extraRepr(): string {
    return `${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}
