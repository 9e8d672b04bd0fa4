/**
 * The functions the compiled addon (`native/build/Release/stride_native.node`) exports. Geometry
 * travels as a Float64Array of integers; every array is read and written in place.
 */
export interface NativeAddon {
  /** Batched GEMM; params = [batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate]. */
  gemm(params: Float64Array, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /** Convolution forward; params = the 16 fields of Conv2dParams in declaration order. */
  conv2dForward(
    params: Float64Array,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
  ): void;
  /**
   * An external object that will own a convolution's weights packed as the forward GEMM paths read
   * them, packed from `w` by the first forward that needs them. Only the weight shape and groups of
   * params matter.
   */
  conv2dPrepareWeights(params: Float64Array): object;
  /**
   * conv2dForward reading the weights from `packed` (made by conv2dPrepareWeights), y clamped to
   * [lo, hi] (a fused ReLU/ReLU6; -Infinity, Infinity for none); `w` must hold the values of every
   * earlier call with the same `packed`.
   */
  conv2dForwardPacked(
    params: Float64Array,
    x: Float32Array,
    w: Float32Array,
    packed: object,
    bias: Float32Array | null,
    y: Float32Array,
    lo: number,
    hi: number,
  ): void;
  /**
   * conv2dForward (reading `packed` when not null, as conv2dForwardPacked) with the epilogue applied
   * as the outputs are written: y = conv + bias + residual (when not null), then ReLU when `relu`.
   */
  conv2dForwardFused(
    params: Float64Array,
    x: Float32Array,
    w: Float32Array,
    packed: object | null,
    bias: Float32Array | null,
    residual: Float32Array | null,
    relu: boolean,
    y: Float32Array,
  ): void;
  /** Gradient of a convolution with respect to its input (overwrites dx). */
  conv2dBackwardData(params: Float64Array, dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** Gradient of a convolution with respect to its weight (overwrites dw). */
  conv2dBackwardFilter(params: Float64Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** Max pooling; params = the 17 fields of Pool2dParams in declaration order (booleans as 0/1). */
  maxPool2dForward(params: Float64Array, x: Float32Array, y: Float32Array, indices: Int32Array | null): void;
  /** Routes dy to the recorded maxima (overwrites dx); false when an index lies outside its input plane. */
  maxPool2dBackward(params: Float64Array, dy: Float32Array, indices: Int32Array, dx: Float32Array): boolean;
  /** Average pooling. */
  avgPool2dForward(params: Float64Array, x: Float32Array, y: Float32Array): void;
  /** Gradient of average pooling (overwrites dx). */
  avgPool2dBackward(params: Float64Array, dy: Float32Array, dx: Float32Array): void;
  /** Per-channel mean and biased variance; params = [batch, channels, spatial]. */
  batchNormStats(params: Float64Array, x: Float32Array, mean: Float64Array, variance: Float64Array): void;
  /** y = x·scale[c] + shift[c]. */
  batchNormForward(
    params: Float64Array,
    x: Float32Array,
    scale: Float64Array,
    shift: Float64Array,
    y: Float32Array,
  ): void;
  /** sumDy[c] = Σ dy, sumDyXc[c] = Σ dy·(x − mean[c]) (overwrites both). */
  batchNormBackwardSums(
    params: Float64Array,
    dy: Float32Array,
    x: Float32Array,
    mean: Float64Array,
    sumDy: Float64Array,
    sumDyXc: Float64Array,
  ): void;
  /** dx = dy·dyScale[c] + x·xScale[c] + shift[c]. */
  batchNormBackwardData(
    params: Float64Array,
    dy: Float32Array,
    x: Float32Array,
    dyScale: Float64Array,
    xScale: Float64Array,
    shift: Float64Array,
    dx: Float32Array,
  ): void;
  /** y = f(x) for the unary op with this code. */
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  /** out = a (op) b; geometry = [rank, outShape..., aStrides..., bStrides...] (0 strides broadcast). */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, geometry: Float64Array): void;
  /**
   * Reduction; geometry = [rank, shape..., reducedFlags...]. Returns false (having written
   * nothing) for a case the addon leaves to the reference kernel.
   */
  reduce(
    op: number,
    x: Float32Array,
    geometry: Float64Array,
    out: Float32Array,
    indices: Int32Array | null,
  ): boolean;
  /** The names of the activation kernels the addon has, in code order (see native/src/activation.cc). */
  activationNames?(): string[];
  /** y = f(x) for the activation kernel with this code and parameters. */
  activation?(op: number, x: Float32Array, y: Float32Array, p0: number, p1: number): void;
  /** dx = g·f'(x) for the activation kernel with this code, from the forward's x and y. */
  activationGrad?(
    op: number,
    x: Float32Array,
    y: Float32Array,
    g: Float32Array,
    dx: Float32Array,
    p0: number,
    p1: number,
  ): void;
  /**
   * The conv and pool parameter layouts of the addon: field names in slot order (native/src/addon.cc
   * declares them once; the wrapper checks its own layout against them at load).
   */
  paramLayouts?(): { conv: string[]; pool: string[] };
  /** Resize the thread pool (the calling thread included). */
  setNumThreads(n: number): void;
  /** Threads the kernels use. */
  getNumThreads(): number;
  /** Force an instruction-set family the CPU supports ('avx512' | 'avx2' | 'scalar'); false if unsupported. */
  setIsa(name: string): boolean;
  /** The instruction-set family in use and the best one the CPU supports. */
  getIsa(): { active: string; detected: string };
  /**
   * How 3x3 stride-1 convolutions run (process-wide; tests use it to cover both paths): 'auto'
   * picks Winograd where measured faster, 'gemm' never uses it, 'winograd' uses it wherever it
   * applies. Throws on any other name.
   */
  setConvAlgorithm(name: 'auto' | 'gemm' | 'winograd'): void;
  /** RoI Align; params = the 10 fields of RoiParams in declaration order (aligned as 0/1). */
  roiAlignForward(params: Float64Array, x: Float32Array, rois: Float64Array, y: Float32Array): void;
  /** Gradient of RoI Align (overwrites dx). */
  roiAlignBackward(params: Float64Array, dy: Float32Array, rois: Float64Array, dx: Float32Array): void;
  /** RoI Pool; argmax receives each bin's flat maximum index (-1 for an empty bin). */
  roiPoolForward(
    params: Float64Array,
    x: Float32Array,
    rois: Float64Array,
    y: Float32Array,
    argmax: Int32Array,
  ): void;
  /** Gradient of RoI Pool (overwrites dx). */
  roiPoolBackward(
    params: Float64Array,
    dy: Float32Array,
    rois: Float64Array,
    argmax: Int32Array,
    dx: Float32Array,
  ): void;
  /** softmax or log-softmax; params = [outer, n, inner, log (0/1)]. */
  softmax?(params: Float64Array, x: Float32Array, y: Float32Array): void;
  /** Gradient of softmax or log-softmax from its output y (overwrites dx). */
  softmaxBackward?(params: Float64Array, y: Float32Array, g: Float32Array, dx: Float32Array): void;
  /** Per-sample class-index losses; params = [outer, classes, inner, labelSmoothing, fromLogits (0/1)]. */
  nllLoss?(
    params: Float64Array,
    logp: Float32Array,
    target: Int32Array,
    weight: Float64Array | null,
    losses: Float64Array,
  ): void;
  /** Gradient of nllLoss, sample j scaled by scales[j] (overwrites dx). */
  nllLossBackward?(
    params: Float64Array,
    logp: Float32Array,
    target: Int32Array,
    weight: Float64Array | null,
    scales: Float64Array,
    dx: Float32Array,
  ): void;
  /** y[o·inner + i] = log Σₖ e^x along the middle axis; params = [outer, n, inner, unused]. */
  logSumExp?(params: Float64Array, x: Float32Array, y: Float32Array): void;
  /** dx = g · e^(x − y), g and y holding one value per (outer, inner) pair (overwrites dx). */
  logSumExpBackward?(
    params: Float64Array,
    x: Float32Array,
    y: Float32Array,
    g: Float32Array,
    dx: Float32Array,
  ): void;
  /** Per-sample cross-entropy of probability targets; params as nllLoss's. */
  softTargetCrossEntropy?(
    params: Float64Array,
    logp: Float32Array,
    target: Float32Array,
    weight: Float64Array | null,
    losses: Float64Array,
  ): void;
  /** Gradients of softTargetCrossEntropy for the logits and the targets (either may be null). */
  softTargetCrossEntropyBackward?(
    params: Float64Array,
    logp: Float32Array,
    target: Float32Array,
    weight: Float64Array | null,
    scales: Float64Array,
    dx: Float32Array | null,
    dt: Float32Array | null,
  ): void;
  /** The names of the element-wise loss kernels, in code order (see native/src/pointwise_loss.cc). */
  pointwiseLossNames?(): string[];
  /** losses[j] = f(x[j], t[j]) for the element-wise loss with this code (weights optional). */
  pointwiseLoss?(
    op: number,
    x: Float32Array,
    t: Float32Array,
    weight: Float32Array | null,
    posWeight: Float32Array | null,
    param: number,
    losses: Float64Array,
  ): void;
  /** dx[j] = scales[j]·∂f/∂x, dt[j] = scales[j]·∂f/∂t (either may be null). */
  pointwiseLossBackward?(
    op: number,
    x: Float32Array,
    t: Float32Array,
    weight: Float32Array | null,
    posWeight: Float32Array | null,
    param: number,
    scales: Float64Array,
    dx: Float32Array | null,
    dt: Float32Array | null,
  ): void;
}
