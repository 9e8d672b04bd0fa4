import type { FusedActivation } from '../ops/fused-activation.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { ActivationOp } from './reference/activation.js';
import type { PointwiseLossOp } from './reference/pointwise-loss.js';

export type { ActivationOp } from './reference/activation.js';

/**
 * What a forward convolution applies to its outputs after the bias, in order (inference fusion):
 * `residual` added (same shape as the output; ResNet's shortcut sum), then `activation` (ReLU
 * clamps to [0, Infinity], ReLU6 to [0, 6]). Kernels that can apply both as they write y do.
 */
export interface ConvEpilogue {
  readonly residual?: FloatArray | null;
  readonly activation?: FusedActivation | null;
}

/**
 * The kernel interface every backend implements. Kernels work on contiguous typed arrays in
 * row-major order (images NCHW) and write into preallocated outputs. All shape checking happens
 * before a kernel is called, in the ops layer; kernels trust their parameters.
 *
 * Both float32 and float64 arrays may be passed; a backend that only accelerates float32 (the
 * native one) delegates float64 calls to the reference backend.
 */
export interface Backend {
  /** Name shown by `st.backend()`: `'reference'`, `'native'` or `'wasm'`. */
  readonly name: string;

  /** Batched matrix multiply; see {@link GemmParams}. */
  gemm(p: GemmParams, a: FloatArray, b: FloatArray, c: FloatArray): void;

  /** y = conv(x, w) + bias. x: [N, C, H, W], w: [O, C/groups, kH, kW], y: [N, O, outH, outW]. */
  conv2dForward(p: Conv2dParams, x: FloatArray, w: FloatArray, bias: FloatArray | null, y: FloatArray): void;
  /**
   * Prepare a convolution's weights `w` for many forwards (the native backend keeps a copy packed
   * as its GEMM kernels read them, made by the first forward that needs it, so later calls skip
   * that work). Only the weight shape and `groups` of `p` matter: the result serves inputs of every
   * size. It may hold `w` itself, so it is valid while `w` keeps the values it had here; see
   * `Conv2d.prepackWeights`.
   */
  prepareConv2dWeights(p: Conv2dParams, w: FloatArray): PreparedConv2dWeights;
  /**
   * y = conv(x, w) + bias with the weights `prepareConv2dWeights` prepared. A handle made by
   * another backend runs the normal kernel on its `weight`. With `epilogue`, y = activation(conv(x, w)
   * + bias + residual); see {@link ConvEpilogue}.
   */
  conv2dForwardPrepared(
    p: Conv2dParams,
    x: FloatArray,
    prepared: PreparedConv2dWeights,
    bias: FloatArray | null,
    y: FloatArray,
    epilogue?: ConvEpilogue,
  ): void;
  /** dx = gradient of conv2d with respect to its input (overwrites dx). Also the transposed convolution. */
  conv2dBackwardData(p: Conv2dParams, dy: FloatArray, w: FloatArray, dx: FloatArray): void;
  /** dw = gradient of conv2d with respect to its weight (overwrites dw). */
  conv2dBackwardFilter(p: Conv2dParams, x: FloatArray, dy: FloatArray, dw: FloatArray): void;

  /**
   * Max pooling; writes the flat index (within each [H, W] plane) of every maximum into `indices`,
   * or only the values when `indices` is null (nothing will route a gradient through them).
   */
  maxPool2dForward(p: Pool2dParams, x: FloatArray, y: FloatArray, indices: Int32Array | null): void;
  /** Routes dy back to the positions recorded in `indices` (overwrites dx). */
  maxPool2dBackward(p: Pool2dParams, dy: FloatArray, indices: Int32Array, dx: FloatArray): void;
  /** Average pooling. */
  avgPool2dForward(p: Pool2dParams, x: FloatArray, y: FloatArray): void;
  /** Gradient of average pooling (overwrites dx). */
  avgPool2dBackward(p: Pool2dParams, dy: FloatArray, dx: FloatArray): void;

  /**
   * Per-channel mean and biased variance of `x` (see {@link BatchNormParams}), accumulated in
   * float64 (overwrites `mean` and `variance`, one value per channel; NaN when there is no data).
   */
  batchNormStats(p: BatchNormParams, x: FloatArray, mean: Float64Array, variance: Float64Array): void;
  /**
   * Per-channel affine map y = x·scale[c] + shift[c]: batch normalization's forward once the
   * statistics and the optional weight and bias are folded into `scale` and `shift`, and its input
   * gradient with running statistics (`x` = the output gradient, `shift` = 0).
   */
  batchNormForward(
    p: BatchNormParams,
    x: FloatArray,
    scale: Float64Array,
    shift: Float64Array,
    y: FloatArray,
  ): void;
  /**
   * Per-channel sums of the backward: sumDy[c] = Σ dy and sumDyXc[c] = Σ dy·(x − mean[c]), over
   * the batch and spatial positions, in float64 (overwrites both).
   */
  batchNormBackwardSums(
    p: BatchNormParams,
    dy: FloatArray,
    x: FloatArray,
    mean: Float64Array,
    sumDy: Float64Array,
    sumDyXc: Float64Array,
  ): void;
  /**
   * Input gradient of batch normalization with batch statistics, in the form
   * dx = dy·dyScale[c] + x·xScale[c] + shift[c] (overwrites dx).
   */
  batchNormBackwardData(
    p: BatchNormParams,
    dy: FloatArray,
    x: FloatArray,
    dyScale: Float64Array,
    xScale: Float64Array,
    shift: Float64Array,
    dx: FloatArray,
  ): void;

  /** y[i] = f(x[i]). `alpha` parameterizes ops that take one (leakyRelu slope, elu alpha, pow exponent). */
  unary(op: UnaryOp, x: FloatArray, y: FloatArray, alpha?: number): void;
  /** out = a (op) b with NumPy broadcasting of `aShape` and `bShape` to `outShape`. */
  binary(
    op: BinaryOp,
    a: FloatArray,
    aShape: readonly number[],
    b: FloatArray,
    bShape: readonly number[],
    out: FloatArray,
    outShape: readonly number[],
  ): void;
  /**
   * Reduce `x` (of `shape`) over `axes` (sorted, distinct) into `out`, whose size is the product of
   * the kept dimensions. For max/min, `indices` (if given) receives the position along the reduced
   * axes (flattened in row-major order over those axes) of the first extreme value.
   */
  reduce(
    op: ReduceOp,
    x: FloatArray,
    shape: readonly number[],
    axes: readonly number[],
    out: FloatArray,
    indices?: Int32Array,
  ): void;

  /**
   * RoI Align (torchvision's `roi_align`): each output bin averages bilinear samples of the input
   * on a regular grid inside the bin. `rois` holds numRois rows of (batchIndex, x1, y1, x2, y2).
   */
  roiAlignForward(p: RoiParams, x: FloatArray, rois: Float64Array, y: FloatArray): void;
  /** Gradient of RoI Align with respect to its input (overwrites dx). */
  roiAlignBackward(p: RoiParams, dy: FloatArray, rois: Float64Array, dx: FloatArray): void;
  /**
   * RoI Pool (torchvision's `roi_pool`): each output bin is the maximum over the input cells of a
   * box quantized to the grid; `argmax` receives the flat index (within the [inH, inW] plane) of
   * each maximum, -1 for an empty bin (whose output is 0).
   */
  roiPoolForward(p: RoiParams, x: FloatArray, rois: Float64Array, y: FloatArray, argmax: Int32Array): void;
  /** Routes dy to the recorded maxima (overwrites dx). */
  roiPoolBackward(p: RoiParams, dy: FloatArray, rois: Float64Array, argmax: Int32Array, dx: FloatArray): void;
  /**
   * y[i] = f(x[i]) for the activation kernel `op` (see `reference/activation.ts`), with its
   * parameters `p0`, `p1` (leakyRelu's slope, elu's alpha, softplus' beta and threshold, hardtanh's
   * bounds; 0 when unused).
   */
  activation(op: ActivationOp, x: FloatArray, y: FloatArray, p0?: number, p1?: number): void;
  /** dx[i] = g[i] · f'(x[i]) for the activation kernel `op`, given the forward's input x and output y. */
  activationGrad(
    op: ActivationOp,
    x: FloatArray,
    y: FloatArray,
    g: FloatArray,
    dx: FloatArray,
    p0?: number,
    p1?: number,
  ): void;
  /** y = softmax(x), or log(softmax(x)) when `p.log`, along the middle axis of p's [outer, n, inner] view. */
  softmax(p: SoftmaxParams, x: FloatArray, y: FloatArray): void;
  /** dx of {@link softmax} from its output y and the output gradient g. */
  softmaxBackward(p: SoftmaxParams, y: FloatArray, g: FloatArray, dx: FloatArray): void;
  /**
   * y[o·inner + i] = log Σₖ e^x[o, k, i] along the middle axis of p's [outer, n, inner] view
   * (stable: the maximum is subtracted first; y has outer·inner elements).
   */
  logSumExp(p: DimParams, x: FloatArray, y: FloatArray): void;
  /** dx of {@link logSumExp}: dx[o, k, i] = g[o·inner + i] · e^(x[o, k, i] − y[o·inner + i]) (overwrites dx). */
  logSumExpBackward(p: DimParams, x: FloatArray, y: FloatArray, g: FloatArray, dx: FloatArray): void;
  /**
   * Per-sample losses of class-index targets (see {@link ClassLossParams}): with a_c =
   * (1−ε)·w_y·[c = y] + (ε/C)·w_c, losses[j] = −Σ_c a_c · logp[j, c]; 0 for a sample whose target
   * is negative (ignored). `weight` holds one value per class, or null for all ones.
   */
  nllLoss(
    p: ClassLossParams,
    logp: FloatArray,
    target: Int32Array,
    weight: Float64Array | null,
    losses: Float64Array,
  ): void;
  /**
   * Input gradient of {@link nllLoss}, each sample's scaled by scales[j] (overwrites dx; ignored
   * samples get 0): −scales[j]·a_c with respect to log-probabilities, or scales[j]·(p_c·Σa − a_c)
   * with respect to the logits when `p.fromLogits` (p_c = e^logp[j, c]).
   */
  nllLossBackward(
    p: ClassLossParams,
    logp: FloatArray,
    target: Int32Array,
    weight: Float64Array | null,
    scales: Float64Array,
    dx: FloatArray,
  ): void;
  /**
   * Per-sample cross-entropy of class-probability targets t (shaped like logp):
   * losses[j] = −Σ_c w_c · t'_c · logp[j, c] with t' = (1−ε)·t + ε/C.
   */
  softTargetCrossEntropy(
    p: ClassLossParams,
    logp: FloatArray,
    target: FloatArray,
    weight: Float64Array | null,
    losses: Float64Array,
  ): void;
  /**
   * Gradients of {@link softTargetCrossEntropy} with respect to the logits (dx) and the targets
   * (dt), each sample's scaled by scales[j]; either may be null (not wanted). Overwrites both.
   */
  softTargetCrossEntropyBackward(
    p: ClassLossParams,
    logp: FloatArray,
    target: FloatArray,
    weight: Float64Array | null,
    scales: Float64Array,
    dx: FloatArray | null,
    dt: FloatArray | null,
  ): void;
  /**
   * Element-wise losses of (x, t) pairs (see `reference/pointwise-loss.ts` for each op's formula),
   * with an optional per-element `weight` and `posWeight` (binary cross-entropy), both already
   * broadcast to x's size, and the op's parameter `param` (smoothL1's beta, huber's delta).
   */
  pointwiseLoss(
    op: PointwiseLossOp,
    x: FloatArray,
    t: FloatArray,
    weight: FloatArray | null,
    posWeight: FloatArray | null,
    param: number,
    losses: Float64Array,
  ): void;
  /**
   * Gradients of {@link pointwiseLoss} with respect to x (dx) and t (dt), element j scaled by
   * scales[j]; either may be null (not wanted). Overwrites both.
   */
  pointwiseLossBackward(
    op: PointwiseLossOp,
    x: FloatArray,
    t: FloatArray,
    weight: FloatArray | null,
    posWeight: FloatArray | null,
    param: number,
    scales: Float64Array,
    dx: FloatArray | null,
    dt: FloatArray | null,
  ): void;
}

/** A tensor seen as [outer, n, inner] around one dimension: element (o, k, i) at (o·n + k)·inner + i. */
export interface DimParams {
  /** Product of the dimensions before the dimension. */
  readonly outer: number;
  /** Size of the dimension. */
  readonly n: number;
  /** Product of the dimensions after it. */
  readonly inner: number;
}

/** A softmax's geometry: a tensor seen as [outer, n, inner], normalized along n. */
export interface SoftmaxParams extends DimParams {
  /** log(softmax(x)) instead of softmax(x). */
  readonly log: boolean;
}

/**
 * A classification loss's geometry: log-probabilities seen as [outer, classes, inner], one sample
 * per (outer, inner) pair, sample j = o·inner + i (class scores of [N, C] or [N, C, H, W]).
 */
export interface ClassLossParams {
  readonly outer: number;
  readonly classes: number;
  readonly inner: number;
  /** Label smoothing ε in [0, 1]. */
  readonly labelSmoothing: number;
  /** The log-probabilities came from logits by logSoftmax, and the gradient is taken with respect to those logits. */
  readonly fromLogits: boolean;
}

export type { PointwiseLossOp } from './reference/pointwise-loss.js';

/** Element-wise functions of one argument. */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'leakyRelu'
  | 'elu'
  | 'powScalar'
  | 'reciprocal'
  | 'square'
  | 'erf';

/**
 * Element-wise functions of two arguments (broadcasting). Comparisons write 1 or 0. `reluGrad` is
 * the ReLU gradient in one pass: `a` where `b > 0`, else 0 (a: output gradient, b: the ReLU's
 * input or output), as PyTorch's `threshold_backward`.
 */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'gt'
  | 'ge'
  | 'lt'
  | 'le'
  | 'reluGrad';

/** Reductions. */
export type ReduceOp = 'sum' | 'max' | 'min';

/**
 * Batched GEMM: for each b < batch, C_b = op(A_b) · op(B_b) (+ C_b when `accumulate`), where op(A)
 * is M×K and op(B) is K×N. A is stored M×K (or K×M when `transA`), B is K×N (or N×K when `transB`),
 * all row-major. A batch stride of 0 reuses the same matrix for every batch entry.
 */
export interface GemmParams {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Elements between consecutive batch entries of A, B and C. */
  strideA: number;
  strideB: number;
  strideC: number;
  accumulate: boolean;
}

/** Fully resolved geometry of a 2-D convolution (padding already split into its four sides). */
export interface Conv2dParams {
  batch: number;
  inChannels: number;
  inH: number;
  inW: number;
  outChannels: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  dilationH: number;
  dilationW: number;
  groups: number;
  outH: number;
  outW: number;
}

/**
 * Convolution weights a backend prepared for repeated forwards ({@link Backend.prepareConv2dWeights}).
 * Opaque apart from these fields; what else it holds (packed copies) belongs to the backend.
 */
export interface PreparedConv2dWeights {
  /** Name of the backend that prepared it. */
  readonly backend: string;
  /** The weights it was prepared from ([O, C/groups, kH, kW]). */
  readonly weight: FloatArray;
}

/** Fully resolved geometry of a 2-D pooling window. */
export interface Pool2dParams {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  /** Bottom/right padding; windows may extend past it only under ceil mode, where that part is ignored. */
  padBottom: number;
  padRight: number;
  dilationH: number;
  dilationW: number;
  outH: number;
  outW: number;
  /** Average pooling: divide by the full window including padding (PyTorch's default) or by the valid count. */
  countIncludePad: boolean;
}

/**
 * Layout of a per-channel kernel's data: `batch` samples of `channels` channels of `spatial`
 * contiguous values each (an [N, C, ...] tensor with `spatial` = the product of the dimensions
 * after the channel one). Element (i, c, k) lies at (i·channels + c)·spatial + k.
 */
export interface BatchNormParams {
  batch: number;
  channels: number;
  spatial: number;
}

/**
 * Geometry of RoI Align / RoI Pool ({@link Backend.roiAlignForward}): an input of `batch` images of
 * `channels` × `inH` × `inW`, `numRois` boxes given as rows of (batchIndex, x1, y1, x2, y2) in the
 * input's image coordinates (multiplied by `spatialScale` to reach feature-map coordinates), and an
 * output of [numRois, channels, outH, outW]. The ops layer has checked every batch index.
 */
export interface RoiParams {
  batch: number;
  channels: number;
  inH: number;
  inW: number;
  numRois: number;
  outH: number;
  outW: number;
  spatialScale: number;
  /** RoI Align only: sample points per bin side; 0 = adaptive (ceil(roi size / output size)). */
  samplingRatio: number;
  /** RoI Align only: shift the box by half a pixel (torchvision's `aligned=True`). */
  aligned: boolean;
}
