/**
 * The activation kernels, one row each: the function and its derivative in float64 arithmetic (the
 * reference every backend is tested against). `p0`/`p1` are the activation's parameters (leakyRelu's
 * slope, elu's alpha, softplus' beta and threshold, hardtanh's bounds). The derivative receives the
 * forward's input `x` and output `y` and returns dy/dx, so a backward is one pass. The native
 * backend implements the same rows by name (native/src/activation.cc) and falls back to these for
 * any it lacks; adding an activation kernel is adding a row here and one there.
 */
import type { FloatArray } from '../../tensor/dtype.js';
import { erf } from './erf.js';

/** One activation: y = f(x) and dy/dx from x and y. */
export interface ActivationKernel {
  /** y = f(x). */
  readonly f: (x: number, p0: number, p1: number) => number;
  /** dy/dx at x (y = f(x) is given too). */
  readonly df: (x: number, y: number, p0: number, p1: number) => number;
}

/** Stable logistic function. */
function sigmoidOf(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** Stable log(1 + e^v). */
function softplusOf(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

/** SELU's fixed scale and alpha (Klambauer et al. 2017), as in PyTorch. */
const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_COEF = 0.044715;

/** Every activation kernel, by name. */
export const ACTIVATION_KERNELS = {
  /** x for x > 0, else p0·x; the gradient at 0 is the slope (PyTorch). */
  leakyRelu: { f: (x, p0) => (x > 0 ? x : x * p0), df: (x, _y, p0) => (x > 0 ? 1 : p0) },
  /** x for x > 0, else p0·(e^x - 1). */
  elu: { f: (x, p0) => (x > 0 ? x : p0 * Math.expm1(x)), df: (x, _y, p0) => (x > 0 ? 1 : p0 * Math.exp(x)) },
  /** max(0, x) + min(0, p0·(e^(x/p0) - 1)): ELU made continuously differentiable for any alpha p0. */
  celu: {
    f: (x, p0) => (x > 0 ? x : p0 * Math.expm1(x / p0)),
    df: (x, _y, p0) => (x > 0 ? 1 : Math.exp(x / p0)),
  },
  /** scale·elu(x, alpha) with SELU's fixed constants. */
  selu: {
    f: (x) => (x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Math.expm1(x)),
    df: (x) => (x > 0 ? SELU_SCALE : SELU_SCALE * SELU_ALPHA * Math.exp(x)),
  },
  /** x·Φ(x), Φ the normal CDF. */
  gelu: {
    f: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
    df: (x) => 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
  },
  /** 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  geluTanh: {
    f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_COEF * x * x * x))),
    df: (x) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_COEF * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_COEF * x * x);
    },
  },
  /** x·sigmoid(x). */
  silu: {
    f: (x) => x * sigmoidOf(x),
    df: (x) => {
      const s = sigmoidOf(x);
      return s * (1 + x * (1 - s));
    },
  },
  /** relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3). */
  hardsigmoid: {
    f: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5),
    df: (x) => (x > -3 && x < 3 ? 1 / 6 : 0),
  },
  /** x·relu6(x + 3) / 6; PyTorch's gradient at the kinks: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above. */
  hardswish: {
    f: (x) => (x <= -3 ? 0 : x >= 3 ? x : (x * (x + 3)) / 6),
    df: (x) => (x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1),
  },
  /** x·tanh(softplus(x)). */
  mish: {
    f: (x) => x * Math.tanh(softplusOf(x)),
    df: (x) => {
      const t = Math.tanh(softplusOf(x));
      return t + x * sigmoidOf(x) * (1 - t * t);
    },
  },
  /** log(1 + e^(p0·x)) / p0, and x itself where p0·x > p1 (PyTorch's threshold). */
  softplus: {
    f: (x, p0, p1) => (p0 * x > p1 ? x : softplusOf(p0 * x) / p0),
    df: (x, _y, p0, p1) => (p0 * x > p1 ? 1 : sigmoidOf(p0 * x)),
  },
  /** clamp(x, p0, p1); gradient 1 strictly inside, 0 at and beyond the ends (PyTorch). */
  hardtanh: {
    f: (x, p0, p1) => (x < p0 ? p0 : x > p1 ? p1 : x),
    df: (x, _y, p0, p1) => (x > p0 && x < p1 ? 1 : 0),
  },
  /** x / (1 + |x|); derivative 1 / (1 + |x|)². */
  softsign: {
    f: (x) => x / (1 + Math.abs(x)),
    df: (x) => 1 / ((1 + Math.abs(x)) * (1 + Math.abs(x))),
  },
  /** 1 / (1 + e^-x); the derivative from the output, y(1 - y). */
  sigmoid: { f: sigmoidOf, df: (_x, y) => y * (1 - y) },
  /** tanh(x); the derivative from the output, 1 - y². */
  tanh: { f: Math.tanh, df: (_x, y) => 1 - y * y },
} satisfies Record<string, ActivationKernel>;

/** The name of an activation kernel. */
export type ActivationOp = keyof typeof ACTIVATION_KERNELS;

/** Every activation kernel name, in the table's order. */
export const ACTIVATION_OPS = Object.keys(ACTIVATION_KERNELS) as ActivationOp[];

/** y[i] = f(x[i]). */
export function activation(op: ActivationOp, x: FloatArray, y: FloatArray, p0 = 0, p1 = 0): void {
  const { f } = ACTIVATION_KERNELS[op] as ActivationKernel;
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]!, p0, p1);
}

/** dx[i] = g[i] · f'(x[i]), from the forward's input x and output y. */
export function activationGrad(
  op: ActivationOp,
  x: FloatArray,
  y: FloatArray,
  g: FloatArray,
  dx: FloatArray,
  p0 = 0,
  p1 = 0,
): void {
  const { df } = ACTIVATION_KERNELS[op] as ActivationKernel;
  for (let i = 0; i < x.length; i++) dx[i] = g[i]! * df(x[i]!, y[i]!, p0, p1);
}
