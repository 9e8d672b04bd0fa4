/**
 * Weight initialization, after `torch.nn.init`. Every initializer fills a tensor in place (no
 * autograd recording, like PyTorch's under `no_grad`) and returns it. Random ones draw from
 * `opts.rng` when given, otherwise from the process-wide generator seeded by `st.manualSeed`.
 *
 * Fan-in and fan-out follow PyTorch: for a weight of shape [out, in, ...kernel], fanIn is
 * in·prod(kernel) and fanOut is out·prod(kernel).
 */
import { ShapeError, ValueError } from '../errors.js';
import { defaultRng, type Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** Options of the random initializers. */
export interface InitOptions {
  /** Generator to draw from (default: the process-wide one). */
  rng?: Rng;
}

/** Activation after the layer, which sets the gain of the He/Kaiming initializers. */
export type Nonlinearity =
  'linear' | 'conv2d' | 'conv2dTranspose' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** Which fan the He/Kaiming initializers preserve the variance of. */
export type FanMode = 'fanIn' | 'fanOut';

/** Options of {@link kaimingNormal} and {@link kaimingUniform}. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (PyTorch's `a`, default 0). */
  a?: number;
  /** `'fanIn'` (default) keeps the forward variance; `'fanOut'` the backward one. */
  mode?: FanMode;
  /** The activation after the layer (default `'leakyRelu'`, with a = 0 the same as ReLU). */
  nonlinearity?: Nonlinearity;
}

/** Options of the Xavier/Glorot initializers. */
export interface XavierOptions extends InitOptions {
  /** Scale factor (default 1), e.g. `calculateGain('tanh')`. */
  gain?: number;
}

function rngOf(opts?: InitOptions): Rng {
  return opts?.rng ?? defaultRng();
}

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`): 1 for linear/conv/sigmoid,
 * 5/3 for tanh, √2 for ReLU, √(2/(1+slope²)) for leaky ReLU (slope `param`, default 0.01), 3/4 for SELU.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv2d':
    case 'conv2dTranspose':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope))
        throw new ValueError('calculateGain', `negative slope must be a number, got ${slope}`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(
        'calculateGain',
        `unknown nonlinearity ${JSON.stringify(nonlinearity)}; use linear, conv2d, conv2dTranspose, sigmoid, tanh, relu, leakyRelu or selu`,
      );
  }
}

/** [fanIn, fanOut] of a weight shape [out, in, ...kernel] (at least 2-D). */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length < 2) {
    throw new ShapeError(
      'computeFans',
      'fan in and fan out need a weight with at least 2 dimensions',
      '[out, in, ...kernel]',
      shape,
      'use uniform/normal/constant for biases and other 1-D tensors',
    );
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return [shape[1]! * receptive, shape[0]! * receptive];
}

/** Fill with `value`. */
export function constant(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t.markChanged();
}

/** Fill with zeros. */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fill with ones. */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

/** Uniform samples in [low, high) (default [0, 1)). */
export function uniform(t: Tensor, low = 0, high = 1, opts?: InitOptions): Tensor {
  if (!(high >= low)) throw new ValueError('init.uniform', `high (${high}) must be >= low (${low})`);
  const r = rngOf(opts);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = r.uniform(low, high);
  return t.markChanged();
}

/** Normal samples with the given mean and standard deviation (default 0, 1). */
export function normal(t: Tensor, mean = 0, std = 1, opts?: InitOptions): Tensor {
  if (!(std >= 0)) throw new ValueError('init.normal', `std must be >= 0, got ${std}`);
  const r = rngOf(opts);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = r.normal(mean, std);
  return t.markChanged();
}

function kaimingStd(op: string, t: Tensor, opts: KaimingOptions): number {
  const [fanIn, fanOut] = computeFans(t.shape);
  const mode = opts.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut')
    throw new ValueError(op, `mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  if (fan === 0) throw new ShapeError(op, 'cannot initialize a tensor with a zero fan', 'non-empty', t.shape);
  const gain = calculateGain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/**
 * He/Kaiming normal: N(0, std²) with std = gain/√fan (√(2/fanIn) for ReLU), so activations keep
 * their variance through ReLU layers (He et al., 2015).
 */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd('kaimingNormal', t, opts), opts);
}

/** He/Kaiming uniform: U(-b, b) with b = gain·√(3/fan), the same variance as {@link kaimingNormal}. */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', t, opts);
  return uniform(t, -bound, bound, opts);
}

function xavierStd(t: Tensor, gain: number): number {
  const [fanIn, fanOut] = computeFans(t.shape);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** Xavier/Glorot normal: N(0, std²) with std = gain·√(2/(fanIn+fanOut)) (Glorot & Bengio, 2010). */
export function xavierNormal(t: Tensor, opts: XavierOptions = {}): Tensor {
  return normal(t, 0, xavierStd(t, opts.gain ?? 1), opts);
}

/** Xavier/Glorot uniform: U(-b, b) with b = gain·√(6/(fanIn+fanOut)). Keras' default kernel initializer. */
export function xavierUniform(t: Tensor, opts: XavierOptions = {}): Tensor {
  const bound = Math.sqrt(3) * xavierStd(t, opts.gain ?? 1);
  return uniform(t, -bound, bound, opts);
}

/** Alias of {@link xavierNormal} (Keras' name). */
export const glorotNormal = xavierNormal;
/** Alias of {@link xavierUniform} (Keras' name). */
export const glorotUniform = xavierUniform;

/** LeCun normal: N(0, 1/fanIn), the initialization SELU networks expect. */
export function lecunNormal(t: Tensor, opts: InitOptions = {}): Tensor {
  const [fanIn] = computeFans(t.shape);
  return normal(t, 0, Math.sqrt(1 / fanIn), opts);
}

/** LeCun uniform: U(-b, b) with b = √(3/fanIn). */
export function lecunUniform(t: Tensor, opts: InitOptions = {}): Tensor {
  const [fanIn] = computeFans(t.shape);
  const bound = Math.sqrt(3 / fanIn);
  return uniform(t, -bound, bound, opts);
}

/**
 * A (semi-)orthogonal matrix scaled by `gain` (Saxe et al., 2013), as PyTorch's `orthogonal_`: the
 * tensor is viewed as rows = shape[0] by cols = the rest; the QR factorization of a Gaussian matrix
 * (with R's diagonal made positive) gives rows (when rows <= cols) or columns that are orthonormal.
 */
export function orthogonal(t: Tensor, opts: XavierOptions = {}): Tensor {
  if (t.ndim < 2)
    throw new ShapeError(
      'orthogonal',
      'needs a tensor with at least 2 dimensions',
      '[rows, cols, ...]',
      t.shape,
    );
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  const gain = opts.gain ?? 1;
  // Work on the tall orientation m x n (m >= n): orthonormal columns by Gram-Schmidt, twice
  // ("twice is enough" for full float64 orthogonality), which yields R with a positive diagonal.
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const r = rngOf(opts);
  const cols64: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = r.normal();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols64) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i]! * v[i]!;
        for (let i = 0; i < m; i++) v[i]! -= dot * q[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i]! /= norm;
    cols64.push(v);
  }
  const d = t.data;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      // Tall case (rows >= cols): element (i, j) is column j at row i; wide case: the transpose.
      d[i * cols + j] = gain * (rows >= cols ? cols64[j]![i]! : cols64[i]![j]!);
    }
  }
  return t.markChanged();
}

let skipDepth = 0;

/**
 * Build modules without drawing their initial weights, like PyTorch's `torch.nn.utils.skip_init`:
 * while `fn` runs, {@link torchDefaultInit} (what the `Conv2d`, `Conv2dTranspose` and `Linear`
 * constructors call) leaves parameters at zero. For weights that are about to be replaced (loading
 * a state dict) or never read (counting parameters, shape-only inspection): building VGG16 this way
 * skips drawing 138M random numbers. Returns what `fn` returns.
 */
export function skipInit<T>(fn: () => T): T {
  skipDepth++;
  try {
    return fn();
  } finally {
    skipDepth--;
  }
}

/** Whether {@link skipInit} is in effect (custom initializers can honour it too). */
export function isInitSkipped(): boolean {
  return skipDepth > 0;
}

/**
 * PyTorch's default initialization of `Conv*d` and `Linear` (their `reset_parameters`): weight
 * kaiming-uniform with a = √5, i.e. U(-1/√fanIn, 1/√fanIn), and bias U(-1/√fanIn, 1/√fanIn), where
 * fanIn comes from the weight's own shape.
 */
export function torchDefaultInit(weight: Tensor, bias: Tensor | null, opts: InitOptions = {}): void {
  if (skipDepth > 0) return;
  kaimingUniform(weight, { a: Math.sqrt(5), rng: opts.rng });
  if (bias) {
    const [fanIn] = computeFans(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound, opts);
  }
}

/** Names accepted wherever an initializer can be given as a string (e.g. the Keras-style layers). */
export type InitializerName =
  | 'zeros'
  | 'ones'
  | 'heNormal'
  | 'heUniform'
  | 'kaimingNormal'
  | 'kaimingUniform'
  | 'glorotNormal'
  | 'glorotUniform'
  | 'xavierNormal'
  | 'xavierUniform'
  | 'lecunNormal'
  | 'lecunUniform'
  | 'orthogonal';

/** A function that fills a tensor in place. */
export type Initializer = (t: Tensor, opts?: InitOptions) => Tensor;

const named: Record<InitializerName, Initializer> = {
  zeros: (t) => zeros(t),
  ones: (t) => ones(t),
  heNormal: (t, o) => kaimingNormal(t, { nonlinearity: 'relu', rng: o?.rng }),
  heUniform: (t, o) => kaimingUniform(t, { nonlinearity: 'relu', rng: o?.rng }),
  kaimingNormal: (t, o) => kaimingNormal(t, { rng: o?.rng }),
  kaimingUniform: (t, o) => kaimingUniform(t, { rng: o?.rng }),
  glorotNormal: (t, o) => xavierNormal(t, { rng: o?.rng }),
  glorotUniform: (t, o) => xavierUniform(t, { rng: o?.rng }),
  xavierNormal: (t, o) => xavierNormal(t, { rng: o?.rng }),
  xavierUniform: (t, o) => xavierUniform(t, { rng: o?.rng }),
  lecunNormal: (t, o) => lecunNormal(t, { rng: o?.rng }),
  lecunUniform: (t, o) => lecunUniform(t, { rng: o?.rng }),
  orthogonal: (t, o) => orthogonal(t, { rng: o?.rng }),
};

/** The initializer for a name, or the function itself when one is given. */
export function getInitializer(init: InitializerName | Initializer): Initializer {
  if (typeof init === 'function') return init;
  const f = Object.prototype.hasOwnProperty.call(named, init) ? named[init] : undefined;
  if (!f) {
    throw new ValueError(
      'getInitializer',
      `unknown initializer ${JSON.stringify(init)}; use one of ${Object.keys(named).join(', ')} or a function (t) => t`,
    );
  }
  return f;
}
