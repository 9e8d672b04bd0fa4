import { ShapeError } from '../errors.js';
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  globalAvgPool2d,
  globalMaxPool2d,
  type AdaptiveOutputSize,
} from '../ops/adaptive-pool.js';
import { maxPoolChannels } from '../ops/channel-max-pool.js';
import { pair, type Padding2d, type Pair } from '../ops/geometry.js';
import { maxUnpool2d } from '../ops/max-unpool.js';
import {
  avgPool2d,
  maxPool2d,
  type AvgPool2dOptions,
  type MaxPool2dOptions,
  type MaxPool2dResult,
} from '../ops/pool2d.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInt, showPair } from './layer-args.js';
import { Module } from './module.js';

function showPadding(p: Padding2d): string {
  return typeof p === 'string' ? p : typeof p === 'number' ? String(p) : `[${p.join(', ')}]`;
}

function showSize(s: AdaptiveOutputSize): string {
  return typeof s === 'number'
    ? String(s)
    : `[${s.map((v) => (v === null ? 'null' : String(v))).join(', ')}]`;
}

/** Options of the {@link MaxPool2d} layer (those of the functional op, less the window size). */
export type MaxPool2dLayerOptions = Omit<MaxPool2dOptions, 'kernelSize' | 'returnIndices'>;

/**
 * 2-D max pooling, like `torch.nn.MaxPool2d`: the maximum of each kernelSize window of each
 * channel; stride defaults to the kernel size (`new MaxPool2d(2)` halves H and W). No parameters.
 * {@link forwardWithIndices} also returns where each maximum came from, for {@link MaxUnpool2d}.
 */
export class MaxPool2d extends Module {
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** [strideH, strideW]. */
  readonly stride: [number, number];
  /** Padding as given. */
  readonly padding: Padding2d;
  /** [dilationH, dilationW]. */
  readonly dilation: [number, number];
  /** Ceil instead of floor for the output size. */
  readonly ceilMode: boolean;
  #wantIndices = false;
  #indices: Tensor | null = null;

  constructor(kernelSize: Pair, opts: MaxPool2dLayerOptions = {}) {
    super();
    this.kernelSize = pair('MaxPool2d', 'kernelSize', kernelSize);
    this.stride = opts.stride === undefined ? this.kernelSize : pair('MaxPool2d', 'stride', opts.stride);
    this.padding = opts.padding ?? 0;
    this.dilation = pair('MaxPool2d', 'dilation', opts.dilation ?? 1);
    this.ceilMode = opts.ceilMode ?? false;
  }

  #options(): MaxPool2dOptions & { returnIndices?: false } {
    return {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
  }

  /** Pool a batch [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    if (!this.#wantIndices) return maxPool2d(x, this.#options());
    const r = maxPool2d(x, { ...this.#options(), returnIndices: true });
    this.#indices = r.indices;
    return r.values;
  }

  /**
   * Pool and also return the flat index (within each H×W plane) of every maximum, PyTorch's
   * `return_indices=True`. Runs through `forward`, so hooks see the pooled values.
   */
  forwardWithIndices(x: Tensor): MaxPool2dResult {
    this.#wantIndices = true;
    try {
      const values = this.forward(x);
      return { values, indices: this.#indices! };
    } finally {
      this.#wantIndices = false;
      this.#indices = null;
    }
  }

  override extraRepr(): string {
    const parts = [`kernelSize=${showPair(this.kernelSize)}`, `stride=${showPair(this.stride)}`];
    if (this.padding !== 0 && this.padding !== 'valid') parts.push(`padding=${showPadding(this.padding)}`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`dilation=${showPair(this.dilation)}`);
    if (this.ceilMode) parts.push('ceilMode=true');
    return parts.join(', ');
  }
}

/** Options of the {@link AvgPool2d} layer (those of the functional op, less the window size). */
export type AvgPool2dLayerOptions = Omit<AvgPool2dOptions, 'kernelSize'>;

/**
 * 2-D average pooling, like `torch.nn.AvgPool2d`: the mean of each window; stride defaults to the
 * kernel size; padding counts in the divisor unless `countIncludePad: false`. No parameters.
 */
export class AvgPool2d extends Module {
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** The remaining options, as given. */
  readonly options: AvgPool2dLayerOptions;

  constructor(kernelSize: Pair, opts: AvgPool2dLayerOptions = {}) {
    super();
    this.kernelSize = pair('AvgPool2d', 'kernelSize', kernelSize);
    this.options = { ...opts };
  }

  /** Pool a batch [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, { ...this.options, kernelSize: this.kernelSize });
  }

  override extraRepr(): string {
    const o = this.options;
    const stride = o.stride === undefined ? this.kernelSize : pair('AvgPool2d', 'stride', o.stride);
    const parts = [`kernelSize=${showPair(this.kernelSize)}`, `stride=${showPair(stride)}`];
    if (o.padding !== undefined && o.padding !== 0 && o.padding !== 'valid')
      parts.push(`padding=${showPadding(o.padding)}`);
    if (o.ceilMode) parts.push('ceilMode=true');
    if (o.countIncludePad === false) parts.push('countIncludePad=false');
    if (o.divisorOverride !== undefined) parts.push(`divisorOverride=${o.divisorOverride}`);
    return parts.join(', ');
  }
}

/**
 * Adaptive average pooling to a fixed output size, like `torch.nn.AdaptiveAvgPool2d`
 * (`new AdaptiveAvgPool2d(7)` before VGG's classifier; null in [h, w] keeps that input size).
 */
export class AdaptiveAvgPool2d extends Module {
  /** Target [h, w] (or one number for both). */
  readonly outputSize: AdaptiveOutputSize;

  constructor(outputSize: AdaptiveOutputSize) {
    super();
    this.outputSize = outputSize;
  }

  /** [N, C, H, W] -> [N, C, outH, outW]. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${showSize(this.outputSize)}`;
  }
}

/** Adaptive max pooling to a fixed output size, like `torch.nn.AdaptiveMaxPool2d`. */
export class AdaptiveMaxPool2d extends Module {
  /** Target [h, w] (or one number for both). */
  readonly outputSize: AdaptiveOutputSize;

  constructor(outputSize: AdaptiveOutputSize) {
    super();
    this.outputSize = outputSize;
  }

  /** [N, C, H, W] -> [N, C, outH, outW]. */
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${showSize(this.outputSize)}`;
  }
}

/**
 * The mean of each channel, [N, C, H, W] -> [N, C] (or [N, C, 1, 1] with `keepdim`), like Keras'
 * GlobalAveragePooling2D: the head of ResNet- and MobileNet-style classifiers.
 */
export class GlobalAvgPool2d extends Module {
  /** Keep the two spatial dimensions as size 1. */
  readonly keepdim: boolean;

  constructor(opts: { keepdim?: boolean } = {}) {
    super();
    this.keepdim = opts.keepdim ?? false;
  }

  /** Channel means. */
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x, this.keepdim);
  }

  override extraRepr(): string {
    return this.keepdim ? 'keepdim=true' : '';
  }
}

/** The maximum of each channel, [N, C, H, W] -> [N, C] (or [N, C, 1, 1] with `keepdim`). */
export class GlobalMaxPool2d extends Module {
  /** Keep the two spatial dimensions as size 1. */
  readonly keepdim: boolean;

  constructor(opts: { keepdim?: boolean } = {}) {
    super();
    this.keepdim = opts.keepdim ?? false;
  }

  /** Channel maxima. */
  forward(x: Tensor): Tensor {
    return globalMaxPool2d(x, this.keepdim);
  }

  override extraRepr(): string {
    return this.keepdim ? 'keepdim=true' : '';
  }
}

/**
 * Max pooling over channels (the decks' "max pooling over depth"): windows of `kernelSize`
 * channels (default all, giving [N, 1, H, W]) stepping by `stride` (default the kernel size).
 */
export class ChannelMaxPool extends Module {
  /** Channels per window, or undefined for all of them. */
  readonly kernelSize: number | undefined;
  /** Step between windows, or undefined for the kernel size. */
  readonly stride: number | undefined;

  constructor(opts: { kernelSize?: number; stride?: number } = {}) {
    super();
    this.kernelSize =
      opts.kernelSize === undefined ? undefined : checkInt('ChannelMaxPool', 'kernelSize', opts.kernelSize);
    this.stride = opts.stride === undefined ? undefined : checkInt('ChannelMaxPool', 'stride', opts.stride);
  }

  /** [N, C, H, W] -> [N, C', H, W]. */
  forward(x: Tensor): Tensor {
    return maxPoolChannels(x, { kernelSize: this.kernelSize, stride: this.stride });
  }

  override extraRepr(): string {
    const parts: string[] = [];
    if (this.kernelSize !== undefined) parts.push(`kernelSize=${this.kernelSize}`);
    if (this.stride !== undefined) parts.push(`stride=${this.stride}`);
    return parts.join(', ');
  }
}

/**
 * Partial inverse of {@link MaxPool2d}, like `torch.nn.MaxUnpool2d`: places each value at the
 * position its max came from, zeros elsewhere. Give it the pooling's kernel size, stride and padding:
 *
 * ```ts
 * const { values, indices } = pool.forwardWithIndices(x);
 * const restored = unpool.forward(values, indices, x); // x (optional) fixes the output size
 * ```
 */
export class MaxUnpool2d extends Module {
  /** [kH, kW] of the pooling undone. */
  readonly kernelSize: [number, number];
  /** Its stride. */
  readonly stride: [number, number];
  /** Its symmetric padding [h, w]. */
  readonly padding: [number, number];

  constructor(kernelSize: Pair, opts: { stride?: Pair; padding?: Pair } = {}) {
    super();
    this.kernelSize = pair('MaxUnpool2d', 'kernelSize', kernelSize);
    this.stride = opts.stride === undefined ? this.kernelSize : pair('MaxUnpool2d', 'stride', opts.stride);
    this.padding = pair('MaxUnpool2d', 'padding', opts.padding ?? 0, true);
  }

  /**
   * Unpool `x` with the `indices` from `MaxPool2d.forwardWithIndices`. `like` (optional) is the
   * tensor that was pooled, whose height and width the output takes (needed when pooling floored
   * an odd size).
   */
  forward(x: Tensor, indices: Tensor, like?: Tensor): Tensor {
    if (indices === undefined) {
      throw new ShapeError(
        'MaxUnpool2d',
        'forward needs the indices of the max pooling as its second argument',
        '(values, indices[, pooledInput])',
        'one tensor',
        'get them with pool.forwardWithIndices(x)',
      );
    }
    return maxUnpool2d(x, indices, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      outputSize: like?.shape,
    });
  }

  override extraRepr(): string {
    return `kernelSize=${showPair(this.kernelSize)}, stride=${showPair(this.stride)}, padding=${showPair(this.padding)}`;
  }
}
