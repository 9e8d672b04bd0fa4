/**
 * The element-wise loss kernels, one row each: the loss of an (input x, target t) pair and its
 * partial derivatives, in float64, with the element's weight w (1 without one), binary
 * cross-entropy's positive weight pw (1 without one) and the op's parameter (smoothL1's beta,
 * huber's delta; > 0). PyTorch's definitions: binaryCrossEntropy clamps its logs at -100 and the
 * denominator of its gradient at 1e-12; binaryCrossEntropyWithLogits is written without overflow.
 */
import type { FloatArray } from '../../tensor/dtype.js';

/** One element-wise loss: f and its partial derivatives with respect to x and t. */
export interface PointwiseLossKernel {
  readonly f: (x: number, t: number, w: number, pw: number, param: number) => number;
  readonly dx: (x: number, t: number, w: number, pw: number, param: number) => number;
  readonly dt: (x: number, t: number, w: number, pw: number, param: number) => number;
}

/** PyTorch clamps the logs of binaryCrossEntropy at -100 so that a 0 or 1 probability stays finite. */
const LOG_FLOOR = -100;
/** PyTorch's floor of x·(1-x) in binaryCrossEntropy's gradient. */
const BCE_GRAD_EPS = 1e-12;

/** Stable log(1 + e^(-x)). */
function softplusNeg(x: number): number {
  return Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Stable logistic function. */
function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function smoothL1(d: number, beta: number): number {
  return Math.abs(d) < beta ? (0.5 * d * d) / beta : Math.abs(d) - 0.5 * beta;
}

function smoothL1Grad(d: number, beta: number): number {
  return Math.abs(d) < beta ? d / beta : Math.sign(d);
}

function huber(d: number, delta: number): number {
  return Math.abs(d) < delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta);
}

function huberGrad(d: number, delta: number): number {
  return Math.abs(d) < delta ? d : delta * Math.sign(d);
}

/** Every element-wise loss kernel, by name. */
export const POINTWISE_LOSS_KERNELS = {
  /** (x − t)². */
  mse: { f: (x, t) => (x - t) * (x - t), dx: (x, t) => 2 * (x - t), dt: (x, t) => 2 * (t - x) },
  /** |x − t| (gradient 0 where equal). */
  l1: { f: (x, t) => Math.abs(x - t), dx: (x, t) => Math.sign(x - t), dt: (x, t) => Math.sign(t - x) },
  /** 0.5·d²/beta where |d| < beta, else |d| − 0.5·beta (d = x − t). */
  smoothL1: {
    f: (x, t, _w, _pw, beta) => smoothL1(x - t, beta),
    dx: (x, t, _w, _pw, beta) => smoothL1Grad(x - t, beta),
    dt: (x, t, _w, _pw, beta) => -smoothL1Grad(x - t, beta),
  },
  /** 0.5·d² where |d| < delta, else delta·(|d| − 0.5·delta). */
  huber: {
    f: (x, t, _w, _pw, delta) => huber(x - t, delta),
    dx: (x, t, _w, _pw, delta) => huberGrad(x - t, delta),
    dt: (x, t, _w, _pw, delta) => -huberGrad(x - t, delta),
  },
  /** −w·(t·log x + (1−t)·log(1−x)), x a probability. */
  binaryCrossEntropy: {
    f: (x, t, w) =>
      -w * (t * Math.max(Math.log(x), LOG_FLOOR) + (1 - t) * Math.max(Math.log1p(-x), LOG_FLOOR)),
    dx: (x, t, w) => (w * (x - t)) / Math.max((1 - x) * x, BCE_GRAD_EPS),
    dt: (x, _t, w) => -w * (Math.max(Math.log(x), LOG_FLOOR) - Math.max(Math.log1p(-x), LOG_FLOOR)),
  },
  /** w·((1−t)·x + q·softplus(−x)) with q = 1 + (pw − 1)·t: −w·(pw·t·log σ(x) + (1−t)·log(1−σ(x))). */
  binaryCrossEntropyWithLogits: {
    f: (x, t, w, pw) => w * ((1 - t) * x + (1 + (pw - 1) * t) * softplusNeg(x)),
    // d/dx softplus(-x) = -σ(-x) = σ(x) - 1.
    dx: (x, t, w, pw) => w * (1 - t + (1 + (pw - 1) * t) * (sigmoid(x) - 1)),
    dt: (x, _t, w, pw) => w * (-x + (pw - 1) * softplusNeg(x)),
  },
} satisfies Record<string, PointwiseLossKernel>;

/** Names of the element-wise loss kernels. */
export type PointwiseLossOp = keyof typeof POINTWISE_LOSS_KERNELS;

/** losses[j] = f(x[j], t[j]) for the loss `op`. */
export function pointwiseLoss(
  op: PointwiseLossOp,
  x: FloatArray,
  t: FloatArray,
  weight: FloatArray | null,
  posWeight: FloatArray | null,
  param: number,
  losses: Float64Array,
): void {
  const k: PointwiseLossKernel = POINTWISE_LOSS_KERNELS[op];
  for (let j = 0; j < x.length; j++) {
    losses[j] = k.f(x[j]!, t[j]!, weight ? weight[j]! : 1, posWeight ? posWeight[j]! : 1, param);
  }
}

/** dx[j] = scales[j]·∂f/∂x and dt[j] = scales[j]·∂f/∂t (either output may be null). */
export function pointwiseLossBackward(
  op: PointwiseLossOp,
  x: FloatArray,
  t: FloatArray,
  weight: FloatArray | null,
  posWeight: FloatArray | null,
  param: number,
  scales: Float64Array,
  dx: FloatArray | null,
  dt: FloatArray | null,
): void {
  const k: PointwiseLossKernel = POINTWISE_LOSS_KERNELS[op];
  for (let j = 0; j < x.length; j++) {
    const w = weight ? weight[j]! : 1;
    const pw = posWeight ? posWeight[j]! : 1;
    if (dx) dx[j] = scales[j]! * k.dx(x[j]!, t[j]!, w, pw, param);
    if (dt) dt[j] = scales[j]! * k.dt(x[j]!, t[j]!, w, pw, param);
  }
}
