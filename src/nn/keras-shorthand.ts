/**
 * Keras-style layer shorthand on top of the PyTorch-style classes, for `st.layers.*`:
 *
 * ```ts
 * const model = new st.Sequential(
 *   st.layers.conv2d(32, 3, { activation: 'relu', padding: 'same' }),
 *   st.layers.maxPool2d(2),
 *   st.layers.flatten(),
 *   st.layers.dense(10, { activation: 'softmax' }),
 * );
 * ```
 *
 * Layers whose size depends on their input (conv2d, dense, batchNorm, ...) are lazy: they build the
 * underlying PyTorch-style layer at the first forward, when the input channels or features are
 * known, exactly like Keras. Asking for their parameters earlier is an error that says so; run a
 * batch first or call {@link build}. A built lazy layer is transparent: its state-dict keys are the
 * underlying layer's (`0.weight`, `0.bias`), so checkpoints match the equivalent PyTorch model.
 *
 * Defaults follow Keras where Keras users would expect them: 'valid' padding, glorot-uniform kernels
 * and zero biases, and batch-norm momentum 0.99 / epsilon 1e-3 in Keras' convention (the running
 * average keeps 0.99 of its old value, i.e. PyTorch momentum 0.01).
 */
import { noGrad } from '../autograd/grad-mode.js';
import { ShapeError, ValueError } from '../errors.js';
import type { Padding2d, Pair } from '../ops/geometry.js';
import type { UpsampleMode } from '../ops/upsample.js';
import { zeros } from '../tensor/creation.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  ELU,
  GELU,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  ReLU6,
  SELU,
  Sigmoid,
  SiLU,
  Softmax,
  Tanh,
} from './activation-layers.js';
import { Conv2d, Conv2dTranspose, DepthwiseSeparableConv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { getInitializer, type Initializer, type InitializerName } from './init.js';
import { checkInt, checkRange } from './layer-args.js';
import { Linear } from './linear.js';
import { Add, Concat } from './merge.js';
import { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d } from './normalization.js';
import type { Parameter } from './parameter.js';
import { AvgPool2d, GlobalAvgPool2d, GlobalMaxPool2d, MaxPool2d } from './pooling.js';
import { Flatten, Identity, ZeroPad2d } from './reshape-layers.js';
import { Upsample } from './upsample.js';

/** Activation names accepted by `activation` options and {@link activation}. */
export type ActivationName =
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'leakyRelu'
  | 'elu'
  | 'selu'
  | 'gelu'
  | 'sigmoid'
  | 'tanh'
  | 'silu'
  | 'swish'
  | 'softmax'
  | 'logSoftmax';

const activations: Record<ActivationName, () => Module> = {
  linear: () => new Identity(),
  relu: () => new ReLU(),
  relu6: () => new ReLU6(),
  leakyRelu: () => new LeakyReLU(),
  elu: () => new ELU(),
  selu: () => new SELU(),
  gelu: () => new GELU(),
  sigmoid: () => new Sigmoid(),
  tanh: () => new Tanh(),
  silu: () => new SiLU(),
  swish: () => new SiLU(),
  softmax: () => new Softmax(1),
  logSoftmax: () => new LogSoftmax(1),
};

/** Every activation name `activation` options accept. */
export const ACTIVATION_NAMES = Object.freeze(Object.keys(activations)) as readonly ActivationName[];

/** The PyTorch-style module for an activation name (`'linear'` is {@link Identity}; softmax is over dim 1). */
export function activation(name: ActivationName): Module {
  const make = Object.prototype.hasOwnProperty.call(activations, name) ? activations[name] : undefined;
  if (!make) {
    throw new ValueError(
      'activation',
      `unknown activation ${JSON.stringify(name)}; use one of ${Object.keys(activations).join(', ')}`,
    );
  }
  return make();
}

/**
 * A layer built at its first forward from the input's shape (see the module notes). After building,
 * it exposes the built layer's parameters, buffers and children as its own, so it is invisible in
 * state-dict keys, and applies its optional activation after the built layer.
 */
export class LazyLayer extends Module {
  readonly #kind: string;
  readonly #pending: string;
  readonly #build: (x: Tensor) => Module;
  readonly #activation: Module | null;
  readonly #activationName: ActivationName | undefined;
  #built: Module | null = null;

  /**
   * @param kind the built layer's class name, shown until it is built (e.g. 'Conv2d')
   * @param pending the description shown until it is built (e.g. 'filters=32, kernelSize=3')
   * @param build makes the layer from the first input
   * @param activationName applied after the built layer (default none)
   */
  constructor(kind: string, pending: string, build: (x: Tensor) => Module, activationName?: ActivationName) {
    super();
    this.#kind = kind;
    this.#pending = pending;
    this.#build = build;
    this.#activationName = activationName === 'linear' ? undefined : activationName;
    this.#activation = this.#activationName ? activation(this.#activationName) : null;
  }

  /** The activation applied after the built layer (undefined for none). */
  get activationName(): ActivationName | undefined {
    return this.#activationName;
  }

  /** Whether the first forward (or {@link build}) has created the layer. */
  get isBuilt(): boolean {
    return this.#built !== null;
  }

  /** The built layer; throws before the first forward. */
  get layer(): Module {
    return this.#require('layer');
  }

  #require(what: string): Module {
    if (this.#built) return this.#built;
    throw new ValueError(
      `${this.#kind} (lazy)`,
      `its ${what} do not exist yet: a Keras-style layer learns its input size at the first forward. ` +
        'Fix: run one batch through the model first, or call st.layers.build(model, inputShape) ' +
        '(e.g. [1, 3, 32, 32]) before creating the optimizer or loading weights',
    );
  }

  override ownParameters(): [string, Parameter][] {
    return this.#require('parameters').ownParameters();
  }

  override ownBuffers(): [string, Tensor, boolean][] {
    return this.#require('buffers').ownBuffers();
  }

  override namedChildren(): [string, Module][] {
    return this.#built ? this.#built.namedChildren() : [];
  }

  override train(mode = true): this {
    super.train(mode);
    this.#built?.train(mode);
    this.#activation?.train(mode);
    return this;
  }

  override get typeName(): string {
    return this.#built ? this.#built.typeName : this.#kind;
  }

  override extraRepr(): string {
    const base = this.#built ? this.#built.extraRepr() : `${this.#pending}, built at the first forward`;
    return this.#activationName ? `${base}, activation=${this.#activationName}` : base;
  }

  /** Build the layer from `x` if needed, run it, then the activation. */
  forward(x: Tensor): Tensor {
    if (!this.#built) {
      const layer = this.#build(x);
      layer.train(this.training);
      this.#built = layer;
    }
    const y = this.#built.forward(x);
    return this.#activation ? this.#activation.forward(y) : y;
  }
}

/**
 * Build every lazy layer of `model` by running a batch of zeros of `inputShape` (with the batch
 * dimension, e.g. [1, 3, 32, 32]) through it in evaluation mode without gradients, so that no
 * running statistic changes. Restores each module's mode. Returns the model.
 */
export function build<M extends Module>(model: M, inputShape: readonly number[]): M {
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  try {
    noGrad(() => model.forward(zeros(inputShape)));
  } finally {
    for (const [m, t] of modes) m.training = t;
    // Layers created during the build took the eval flag: give them their lazy owner's mode.
    for (const [m] of modes) if (m instanceof LazyLayer) m.train(m.training);
  }
  return model;
}

function channelsOf(layer: string, x: Tensor): number {
  if (x.ndim === 4) return x.shape[1]!;
  if (x.ndim === 3) return x.shape[0]!;
  throw new ShapeError(
    layer,
    'the input must be images',
    '[N, C, H, W] or [C, H, W]',
    x.shape,
    'reshape the input into images',
  );
}

interface InitOpts {
  kernelInitializer?: InitializerName | Initializer;
  biasInitializer?: InitializerName | Initializer;
  rng?: Rng;
}

function initialize(weight: Tensor, bias: Tensor | null, o: InitOpts): void {
  getInitializer(o.kernelInitializer ?? 'glorotUniform')(weight, { rng: o.rng });
  if (bias) getInitializer(o.biasInitializer ?? 'zeros')(bias, { rng: o.rng });
}

/** Options of {@link conv2d}. */
export interface Conv2dShorthandOptions extends InitOpts {
  /** Step of the window (default 1). */
  strides?: Pair;
  /** `'valid'` (default), `'same'`, or any padding `Conv2d` accepts. */
  padding?: Padding2d;
  /** Dilation (default 1). */
  dilationRate?: Pair;
  /** Channel groups (default 1). */
  groups?: number;
  /** Learn a bias (default true). */
  useBias?: boolean;
  /** Activation applied after the convolution (default none). */
  activation?: ActivationName;
}

/** Keras' Conv2D: `filters` output channels of `kernelSize` windows; input channels found at the first forward. */
export function conv2d(filters: number, kernelSize: Pair, opts: Conv2dShorthandOptions = {}): LazyLayer {
  checkInt('conv2d', 'filters', filters);
  const padding = opts.padding ?? 'valid';
  const pending = `filters=${filters}, kernelSize=${JSON.stringify(kernelSize)}, padding=${JSON.stringify(padding)}`;
  return new LazyLayer(
    'Conv2d',
    pending,
    (x) => {
      const conv = new Conv2d(channelsOf('conv2d', x), filters, kernelSize, {
        stride: opts.strides,
        padding,
        dilation: opts.dilationRate,
        groups: opts.groups,
        bias: opts.useBias,
      });
      initialize(conv.weight, conv.bias, opts);
      return conv;
    },
    opts.activation,
  );
}

/** Options of {@link conv2dTranspose}. */
export interface Conv2dTransposeShorthandOptions extends InitOpts {
  /** Upsampling factor (default 1). */
  strides?: Pair;
  /** Rows/columns cropped from each side of the output (default 0). */
  padding?: Pair;
  /** Extra bottom/right rows/columns (default 0). */
  outputPadding?: Pair;
  /** Learn a bias (default true). */
  useBias?: boolean;
  /** Activation applied after the layer (default none). */
  activation?: ActivationName;
}

/** Keras' Conv2DTranspose (learnable upsampling); input channels found at the first forward. */
export function conv2dTranspose(
  filters: number,
  kernelSize: Pair,
  opts: Conv2dTransposeShorthandOptions = {},
): LazyLayer {
  checkInt('conv2dTranspose', 'filters', filters);
  return new LazyLayer(
    'Conv2dTranspose',
    `filters=${filters}, kernelSize=${JSON.stringify(kernelSize)}`,
    (x) => {
      const conv = new Conv2dTranspose(channelsOf('conv2dTranspose', x), filters, kernelSize, {
        stride: opts.strides,
        padding: opts.padding,
        outputPadding: opts.outputPadding,
        bias: opts.useBias,
      });
      initialize(conv.weight, conv.bias, opts);
      return conv;
    },
    opts.activation,
  );
}

/** Options of {@link separableConv2d}. */
export interface SeparableConv2dShorthandOptions extends InitOpts {
  /** Step of the depthwise window (default 1). */
  strides?: Pair;
  /** `'valid'` (default), `'same'` or a number. */
  padding?: Padding2d;
  /** Depthwise filters per input channel (default 1). */
  depthMultiplier?: number;
  /** Learn biases (default true). */
  useBias?: boolean;
  /** Activation applied after the pointwise convolution (default none). */
  activation?: ActivationName;
}

/** Keras' SeparableConv2D: depthwise then pointwise ({@link DepthwiseSeparableConv2d}). */
export function separableConv2d(
  filters: number,
  kernelSize: Pair,
  opts: SeparableConv2dShorthandOptions = {},
): LazyLayer {
  checkInt('separableConv2d', 'filters', filters);
  return new LazyLayer(
    'DepthwiseSeparableConv2d',
    `filters=${filters}, kernelSize=${JSON.stringify(kernelSize)}`,
    (x) => {
      const sep = new DepthwiseSeparableConv2d(channelsOf('separableConv2d', x), filters, kernelSize, {
        stride: opts.strides,
        padding: opts.padding ?? 'valid',
        depthMultiplier: opts.depthMultiplier,
        bias: opts.useBias,
      });
      initialize(sep.depthwise.weight, sep.depthwise.bias, opts);
      initialize(sep.pointwise.weight, sep.pointwise.bias, opts);
      return sep;
    },
    opts.activation,
  );
}

/** Options of {@link dense}. */
export interface DenseShorthandOptions extends InitOpts {
  /** Learn a bias (default true). */
  useBias?: boolean;
  /** Activation applied after the layer (default none). */
  activation?: ActivationName;
}

/** Keras' Dense: `units` outputs from the last input dimension, whose size is found at the first forward. */
export function dense(units: number, opts: DenseShorthandOptions = {}): LazyLayer {
  checkInt('dense', 'units', units);
  return new LazyLayer(
    'Linear',
    `units=${units}`,
    (x) => {
      if (x.ndim === 0)
        throw new ShapeError('dense', 'the input needs a feature dimension', '[..., features]', x.shape);
      const lin = new Linear(x.shape[x.ndim - 1]!, units, { bias: opts.useBias });
      initialize(lin.weight, lin.bias, opts);
      return lin;
    },
    opts.activation,
  );
}

/** Options of {@link batchNorm} (Keras' conventions). */
export interface BatchNormShorthandOptions {
  /** Share of the old running value kept at each update (default 0.99; PyTorch momentum = 1 - this). */
  momentum?: number;
  /** Added to the variance (default 1e-3). */
  epsilon?: number;
}

/** Keras' BatchNormalization over channels: BatchNorm2d for images, BatchNorm1d for [N, C] (built at the first forward). */
export function batchNorm(opts: BatchNormShorthandOptions = {}): LazyLayer {
  const momentum = checkRange('batchNorm', 'momentum', opts.momentum ?? 0.99, 0, 1);
  const eps = checkRange('batchNorm', 'epsilon', opts.epsilon ?? 1e-3, 0, Infinity);
  return new LazyLayer('BatchNorm', `momentum=${momentum}, epsilon=${eps}`, (x) => {
    const o = { momentum: 1 - momentum, eps };
    if (x.ndim === 4) return new BatchNorm2d(x.shape[1]!, o);
    if (x.ndim === 2 || x.ndim === 3) return new BatchNorm1d(x.shape[1]!, o);
    throw new ShapeError(
      'batchNorm',
      'the input must be [N, C], [N, C, L] or [N, C, H, W]',
      '[N, C, ...]',
      x.shape,
    );
  });
}

/** Keras' MaxPooling2D: windows of `poolSize` (default 2), stride `strides` (default the pool size). */
export function maxPool2d(poolSize: Pair = 2, opts: { strides?: Pair; padding?: Padding2d } = {}): MaxPool2d {
  return new MaxPool2d(poolSize, { stride: opts.strides, padding: opts.padding });
}

/** Keras' AveragePooling2D (padding never counts in the divisor with 'same', as in Keras). */
export function avgPool2d(poolSize: Pair = 2, opts: { strides?: Pair; padding?: Padding2d } = {}): AvgPool2d {
  return new AvgPool2d(poolSize, { stride: opts.strides, padding: opts.padding });
}

/** Keras' GlobalAveragePooling2D: [N, C, H, W] -> [N, C]. */
export function globalAvgPool2d(): GlobalAvgPool2d {
  return new GlobalAvgPool2d();
}

/** Keras' GlobalMaxPooling2D: [N, C, H, W] -> [N, C]. */
export function globalMaxPool2d(): GlobalMaxPool2d {
  return new GlobalMaxPool2d();
}

/** Keras' Flatten: [N, ...] -> [N, features]. */
export function flatten(): Flatten {
  return new Flatten();
}

/** Keras' Dropout: zero a fraction `rate` of the elements while training. */
export function dropout(rate: number, opts: { rng?: Rng } = {}): Dropout {
  return new Dropout(rate, opts);
}

/** Keras' ZeroPadding2D: a number for all sides or [left, right, top, bottom]. */
export function zeroPadding2d(padding: number | readonly [number, number, number, number] = 1): ZeroPad2d {
  return new ZeroPad2d(padding);
}

/** Keras' UpSampling2D: repeat (nearest) or interpolate (bilinear) by `size` (default 2). */
export function upSampling2d(size: Pair = 2, opts: { interpolation?: UpsampleMode } = {}): Upsample {
  return new Upsample({ scaleFactor: size, mode: opts.interpolation });
}

/** Keras' Add merge layer, for {@link Graph} nodes. */
export function add(): Add {
  return new Add();
}

/** Keras' Concatenate merge layer along `axis` (default 1: channels, since Stride is NCHW). */
export function concatenate(axis = 1): Concat {
  return new Concat(axis);
}

/** ReLU layer. */
export function relu(): ReLU {
  return new ReLU();
}

/** Softmax over the class dimension (1). */
export function softmax(): Softmax {
  return new Softmax(1);
}
