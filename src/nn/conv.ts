import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Backend, Conv2dParams, PreparedConv2dWeights } from '../backend/backend.js';
import { ValueError } from '../errors.js';
import type { Conv2dOptions, Conv2dTransposeOptions } from '../ops/conv-params.js';
import { conv2d, conv2dPrepared, conv2dPreparedResidual } from '../ops/conv2d.js';
import { conv2dTranspose } from '../ops/conv2d-transpose.js';
import { activateInPlace, checkFusedActivation, type FusedActivation } from '../ops/fused-activation.js';
import { pair, type Padding2d, type Pair } from '../ops/geometry.js';
import { zeros } from '../tensor/creation.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { foldBatchNormInto } from './batch-norm-folding.js';
import { torchDefaultInit } from './init.js';
import { checkInt, showPair } from './layer-args.js';
import { bumpLayerStateEpoch } from './layer-state-epoch.js';
import { Module, runAsLayer } from './module.js';
import type { BatchNorm2d } from './normalization.js';
import { Parameter } from './parameter.js';

/** Options of {@link Conv2d}: those of the functional `conv2d`, plus bias and the init generator. */
export interface Conv2dLayerOptions extends Conv2dOptions {
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the process-wide one). */
  rng?: Rng;
  /**
   * Activation applied to the output in place, fused with the convolution (default none): the same
   * values as a separate `ReLU`/`ReLU6` layer after it, without the extra output tensor.
   */
  activation?: FusedActivation | null;
}

/** Options of {@link Conv2dTranspose}. */
export interface Conv2dTransposeLayerOptions extends Conv2dTransposeOptions {
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the process-wide one). */
  rng?: Rng;
}

function checkGroups(layer: string, inChannels: number, outChannels: number, groups: number): void {
  checkInt(layer, 'groups', groups);
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new ValueError(
      layer,
      `groups (${groups}) must divide both inChannels (${inChannels}) and outChannels (${outChannels}). ` +
        'Fix: pick a common divisor, e.g. groups = inChannels for a depthwise convolution',
    );
  }
}

function showPadding(p: Padding2d): string {
  return typeof p === 'string' ? p : typeof p === 'number' ? showPair([p, p]) : `[${p.join(', ')}]`;
}

/** Whether padding `p` adds nothing (`'valid'`, 0 or all zeros). */
export function isZeroPadding(p: Padding2d): boolean {
  return p === 'valid' || p === 0 || (Array.isArray(p) && p.every((v) => v === 0));
}

/** One tensor a derived value was computed from, as it was then. */
interface SourceStamp {
  tensor: Tensor;
  data: FloatArray;
  version: number;
}

function stamp(tensors: readonly (Tensor | null | undefined)[]): SourceStamp[] {
  const out: SourceStamp[] = [];
  for (const t of tensors) if (t) out.push({ tensor: t, data: t.data, version: t.version });
  return out;
}

function unchanged(stamps: readonly SourceStamp[], tensors: readonly (Tensor | null | undefined)[]): boolean {
  let k = 0;
  for (const t of tensors) {
    if (!t) continue;
    const s = stamps[k++];
    if (!s || s.tensor !== t || s.data !== t.data || s.version !== t.version) return false;
  }
  return k === stamps.length;
}

/** A convolution's weights with a following batch norm folded in, and what they came from. */
interface FoldedEntry {
  bn: BatchNorm2d;
  sources: SourceStamp[];
  weight: Tensor;
  bias: Tensor;
}

/** What a {@link Conv2d} prepared its weights from, to tell when the preparation is stale. */
interface PreparedWeightsEntry {
  backend: Backend;
  weight: Tensor;
  data: FloatArray;
  version: number;
  handle: PreparedConv2dWeights;
}

/**
 * 2-D convolution layer, like `torch.nn.Conv2d`: `weight` [outChannels, inChannels/groups, kH, kW]
 * and `bias` [outChannels], initialized as PyTorch does (kaiming-uniform with a = √5, bias
 * U(±1/√fanIn)). Accepts every option of the functional `conv2d`: stride, padding (number, [h, w],
 * [top, bottom, left, right], `'same'`, `'valid'`), dilation and groups.
 *
 * Parameters: outChannels·(inChannels/groups)·kH·kW + outChannels, e.g. 16 filters 3x3 on RGB = 448.
 */
export class Conv2d extends Module {
  /** Filters [outChannels, inChannels / groups, kH, kW]. */
  weight: Parameter;
  /** Per-output-channel bias [outChannels], or null when built with `bias: false`. */
  bias: Parameter | null;
  /** Channels of the input. */
  readonly inChannels: number;
  /** Filters, i.e. channels of the output. */
  readonly outChannels: number;
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** [strideH, strideW]. */
  readonly stride: [number, number];
  /** Padding as given (resolved per input by the op). */
  readonly padding: Padding2d;
  /** [dilationH, dilationW]. */
  readonly dilation: [number, number];
  /** Channel groups. */
  readonly groups: number;
  #activation: FusedActivation | null = null;
  /**
   * Keep the weights prepared for inference in evaluation mode even while gradients are recorded
   * (default false; `fuseForInference` sets it; evaluation mode under `noGrad` always does). While
   * set, forwards in evaluation mode let the active backend prepare the weights once and reuse
   * them (the native backend keeps them packed as its GEMM-based kernels read them, which each
   * call would otherwise redo; its Winograd and depthwise kernels read them as they are; the
   * reference backend just holds them). Training mode runs the normal path.
   *
   * The preparation is redone when the weight tensor is replaced, or its `version` changes (an
   * optimizer step, `loadStateDict`, the `nn.init` functions), or the backend changes. Writing
   * `weight.data` directly is not noticed: call `weight.markChanged()` afterwards.
   */
  prepackWeights = false;
  #prepared: PreparedWeightsEntry | null = null;
  #folded: FoldedEntry | null = null;
  /** The options object handed to the op (one per layer: the op keeps its resolved geometry by it). */
  #opts: Conv2dOptions | null = null;
  /** The options with a merged zero padding layer's padding, for the last such padding. */
  #paddedOpts: {
    padding: readonly [number, number, number, number];
    base: Conv2dOptions;
    opts: Conv2dOptions;
  } | null = null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    const name = 'Conv2d';
    this.inChannels = checkInt(name, 'inChannels', inChannels);
    this.outChannels = checkInt(name, 'outChannels', outChannels);
    this.kernelSize = pair(name, 'kernelSize', kernelSize);
    this.stride = pair(name, 'stride', opts.stride ?? 1);
    this.dilation = pair(name, 'dilation', opts.dilation ?? 1);
    this.padding = opts.padding ?? 0;
    this.groups = opts.groups ?? 1;
    checkGroups(name, inChannels, outChannels, this.groups);
    this.weight = new Parameter(zeros([outChannels, inChannels / this.groups, ...this.kernelSize]));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outChannels]));
    this.activation = checkFusedActivation(name, opts.activation);
    this.resetParameters(opts.rng);
  }

  /**
   * Activation applied to the output in place, or null. Set by the `activation` option or by
   * `fuseForInference`, which moves a following ReLU/ReLU6 layer into the convolution.
   */
  get activation(): FusedActivation | null {
    return this.#activation;
  }
  set activation(a: FusedActivation | null) {
    if (a !== this.#activation) bumpLayerStateEpoch();
    this.#activation = a;
  }

  /** Re-draw the weights with PyTorch's default initialization. */
  resetParameters(rng?: Rng): void {
    torchDefaultInit(this.weight, this.bias, { rng });
  }

  /**
   * Convolve a batch [N, inChannels, H, W] (or one image [inChannels, H, W]). In evaluation mode
   * under `noGrad` (or with {@link prepackWeights}) the backend's prepared weights are used.
   */
  forward(x: Tensor): Tensor {
    if (!this.training && (this.prepackWeights || !isGradEnabled())) {
      const w = this.weight;
      // The layer's own activation is fused into the kernel here.
      return conv2dPrepared(
        x,
        w,
        this.bias,
        this.#options(),
        (p, backend) => this.#preparedWeights(w, p, backend),
        this.activation,
      );
    }
    // Training drops what inference prepared (it would be stale after the next step anyway).
    if (this.training) {
      this.#prepared = null;
      this.#folded = null;
    }
    const y = conv2d(x, this.weight, this.bias, this.#options());
    return this.activation ? activateInPlace(y, this.activation) : y;
  }

  /**
   * @internal The inference forward of this convolution followed by `bn` (in evaluation mode) and
   * `activation`, as containers run it in evaluation mode under `noGrad`: one convolution whose
   * weights have the batch norm folded in (w·γ/√(var+ε), as {@link fuseForInference} folds them)
   * and are prepared by the backend once, the activation applied by the kernel as it writes the
   * output. The folded and prepared weights are made again when the weight, the bias or any of the batch
   * norm's tensors is replaced or its `version` changes. The layer's own `activation` must be null.
   * `padding` ([top, bottom, left, right]) replaces the layer's own zero padding: the zero padding
   * layer before it, merged in (the padded copy of the input is never made).
   */
  forwardFused(
    x: Tensor,
    bn: BatchNorm2d | null,
    activation: FusedActivation | null,
    padding?: readonly [number, number, number, number],
  ): Tensor {
    return runAsLayer(this, [x], () => {
      const f = bn ? this.#foldedWith(bn) : null;
      const w = f ? f.weight : this.weight;
      const opts = padding ? this.#optionsPadded(padding) : this.#options();
      return conv2dPrepared(
        x,
        w,
        f ? f.bias : this.bias,
        opts,
        (p, backend) => this.#preparedWeights(w, p, backend),
        activation,
      );
    });
  }

  /**
   * @internal {@link forwardFused} without an activation, then `+ residual` and ReLU when `relu`
   * is set, all in the convolution's kernel call (ResNet's second convolution, batch norm,
   * shortcut sum and ReLU), as graphs run it under `noGrad`. Returns null when `residual` does not
   * have the output's shape and dtype; the caller then runs the layers one by one.
   */
  forwardFusedResidual(x: Tensor, bn: BatchNorm2d | null, residual: Tensor, relu: boolean): Tensor | null {
    return runAsLayer(this, [x], () => {
      const f = bn ? this.#foldedWith(bn) : null;
      const w = f ? f.weight : this.weight;
      return conv2dPreparedResidual(
        x,
        w,
        f ? f.bias : this.bias,
        residual,
        relu,
        this.#options(),
        (p, backend) => this.#preparedWeights(w, p, backend),
      );
    });
  }

  #options(): Conv2dOptions {
    // One object while the fields hold the same values (the op compares them before reusing what it resolved).
    const o = this.#opts;
    if (
      o !== null &&
      o.stride === this.stride &&
      o.padding === this.padding &&
      o.dilation === this.dilation &&
      o.groups === this.groups
    )
      return o;
    this.#opts = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    return this.#opts;
  }

  #optionsPadded(padding: readonly [number, number, number, number]): Conv2dOptions {
    const c = this.#paddedOpts;
    const base = this.#options();
    if (c !== null && c.padding === padding && c.base === base) return c.opts;
    const opts = { ...base, padding };
    this.#paddedOpts = { padding, base, opts };
    return opts;
  }

  /** The weights and bias with `bn` folded in, folded again when anything they came from changed. */
  #foldedWith(bn: BatchNorm2d): FoldedEntry {
    const sources = [
      this.weight,
      this.bias,
      bn.weight,
      bn.bias,
      bn.getBuffer('running_mean'),
      bn.getBuffer('running_var'),
    ];
    const c = this.#folded;
    if (c !== null && c.bn === bn && unchanged(c.sources, sources)) return c;
    const f = foldBatchNormInto(this.weight.data, this.bias ? this.bias.data : null, bn);
    const entry: FoldedEntry = {
      bn,
      sources: stamp(sources),
      weight: new Tensor(f.weight, this.weight.shape),
      bias: new Tensor(f.bias, [this.outChannels]),
    };
    this.#folded = entry;
    return entry;
  }

  /** The prepared weights of `w` for `backend`, prepared again when anything they came from changed. */
  #preparedWeights(w: Tensor, p: Conv2dParams, backend: Backend): PreparedConv2dWeights {
    // The weight tensor's identity fixes the shape the handle was prepared for.
    const c = this.#prepared;
    if (
      c !== null &&
      c.backend === backend &&
      c.weight === w &&
      c.data === w.data &&
      c.version === w.version
    ) {
      return c.handle;
    }
    const handle = backend.prepareConv2dWeights(p, w.data);
    this.#prepared = { backend, weight: w, data: w.data, version: w.version, handle };
    return handle;
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${showPair(this.kernelSize)}`];
    parts.push(`stride=${showPair(this.stride)}`);
    if (!isZeroPadding(this.padding)) parts.push(`padding=${showPadding(this.padding)}`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`dilation=${showPair(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    if (this.activation) parts.push(`activation=${this.activation}`);
    return parts.join(', ');
  }
}

/**
 * Transposed 2-D convolution ("learnable upsampling"), like `torch.nn.ConvTranspose2d`: `weight`
 * [inChannels, outChannels/groups, kH, kW] (PyTorch's layout) and `bias` [outChannels], with
 * PyTorch's default initialization (whose fan-in, as in PyTorch, comes from the weight's second
 * dimension). Output size: (H-1)·stride - 2·padding + dilation·(k-1) + outputPadding + 1.
 */
export class Conv2dTranspose extends Module {
  /** Filters [inChannels, outChannels / groups, kH, kW]. */
  weight: Parameter;
  /** Per-output-channel bias [outChannels], or null. */
  bias: Parameter | null;
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** [strideH, strideW]: the upsampling factor. */
  readonly stride: [number, number];
  /** Padding of the matching forward convolution, cropped from the output. */
  readonly padding: [number, number];
  /** Extra bottom/right output rows/columns. */
  readonly outputPadding: [number, number];
  /** [dilationH, dilationW]. */
  readonly dilation: [number, number];
  /** Channel groups. */
  readonly groups: number;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    opts: Conv2dTransposeLayerOptions = {},
  ) {
    super();
    const name = 'Conv2dTranspose';
    this.inChannels = checkInt(name, 'inChannels', inChannels);
    this.outChannels = checkInt(name, 'outChannels', outChannels);
    this.kernelSize = pair(name, 'kernelSize', kernelSize);
    this.stride = pair(name, 'stride', opts.stride ?? 1);
    this.padding = pair(name, 'padding', opts.padding ?? 0, true);
    this.outputPadding = pair(name, 'outputPadding', opts.outputPadding ?? 0, true);
    this.dilation = pair(name, 'dilation', opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    checkGroups(name, inChannels, outChannels, this.groups);
    this.weight = new Parameter(zeros([inChannels, outChannels / this.groups, ...this.kernelSize]));
    this.bias = opts.bias === false ? null : new Parameter(zeros([outChannels]));
    this.resetParameters(opts.rng);
  }

  /** Re-draw the weights with PyTorch's default initialization. */
  resetParameters(rng?: Rng): void {
    torchDefaultInit(this.weight, this.bias, { rng });
  }

  /** Upsample a batch [N, inChannels, H, W] (or one image [inChannels, H, W]). */
  forward(x: Tensor): Tensor {
    return conv2dTranspose(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${showPair(this.kernelSize)}`];
    parts.push(`stride=${showPair(this.stride)}`);
    if (this.padding[0] !== 0 || this.padding[1] !== 0) parts.push(`padding=${showPair(this.padding)}`);
    if (this.outputPadding[0] !== 0 || this.outputPadding[1] !== 0)
      parts.push(`outputPadding=${showPair(this.outputPadding)}`);
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) parts.push(`dilation=${showPair(this.dilation)}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    return parts.join(', ');
  }
}

/** PyTorch's name for {@link Conv2dTranspose}. */
export const ConvTranspose2d = Conv2dTranspose;
/** PyTorch's name for {@link Conv2dTranspose}. */
export type ConvTranspose2d = Conv2dTranspose;

/** Options of {@link DepthwiseSeparableConv2d}. */
export interface DepthwiseSeparableConv2dOptions {
  /** Stride of the depthwise convolution (default 1). */
  stride?: Pair;
  /** Padding of the depthwise convolution (default 0; `'same'` keeps the size at stride 1). */
  padding?: Padding2d;
  /** Dilation of the depthwise convolution (default 1). */
  dilation?: Pair;
  /** Depthwise filters per input channel (default 1). */
  depthMultiplier?: number;
  /** Give both convolutions a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights. */
  rng?: Rng;
}

/**
 * MobileNet's depthwise separable convolution: a depthwise k×k convolution (`groups = inChannels`,
 * one filter per channel) followed by a pointwise 1×1 convolution that mixes channels. Children
 * `depthwise` and `pointwise`, so the keys are `depthwise.weight`, `pointwise.weight` (and biases).
 *
 * Parameters for 5x5, 3 -> 256 with biases: 78 + 1,024 = 1,102, against 19,456 for a standard
 * 5x5 convolution.
 */
export class DepthwiseSeparableConv2d extends Module {
  /** The per-channel spatial convolution. */
  depthwise: Conv2d;
  /** The 1×1 channel-mixing convolution. */
  pointwise: Conv2d;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    opts: DepthwiseSeparableConv2dOptions = {},
  ) {
    super();
    const mult = checkInt('DepthwiseSeparableConv2d', 'depthMultiplier', opts.depthMultiplier ?? 1);
    checkInt('DepthwiseSeparableConv2d', 'inChannels', inChannels);
    this.depthwise = new Conv2d(inChannels, inChannels * mult, kernelSize, {
      stride: opts.stride,
      padding: opts.padding,
      dilation: opts.dilation,
      groups: inChannels,
      bias: opts.bias,
      rng: opts.rng,
    });
    this.pointwise = new Conv2d(inChannels * mult, outChannels, 1, { bias: opts.bias, rng: opts.rng });
  }

  /** Depthwise, then pointwise. */
  forward(x: Tensor): Tensor {
    return this.pointwise.forward(this.depthwise.forward(x));
  }
}
