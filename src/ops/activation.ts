/**
 * Activation functions with PyTorch's definitions and defaults. Each forward is one pass over the
 * input and each backward one pass computing the derivative directly (no chain of tiny ops), since
 * activations run on every feature map of every training step.
 *
 * relu, sigmoid and tanh live with the element-wise ops and are re-exported here.
 */
import { record, type OpAttrs } from '../autograd/grad-fn.js';
import { kernels } from '../backend/registry.js';
import { ValueError } from '../errors.js';
import type { FloatArray } from '../tensor/dtype.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { unaryRaw } from './elementwise.js';

export { relu, sigmoid, tanh } from './elementwise.js';

/**
 * Record a point-wise activation: `forward(x, y)` fills y from x; `backward(x, y, g, dx)` fills dx
 * from the input, the output and the output gradient; `attrs` are its options, kept on the record.
 */
function pointwise(
  name: string,
  x: Tensor,
  forward: (x: FloatArray, y: FloatArray) => void,
  backward: (x: FloatArray, y: FloatArray, g: FloatArray, dx: FloatArray) => void,
  attrs?: OpAttrs,
): Tensor {
  const out = empty(x.shape, x.dtype);
  forward(x.data, out.data);
  return kernelPointwise(name, x, out, backward, attrs);
}

/** Like {@link pointwise}, for activations whose forward is a backend kernel. */
function kernelPointwise(
  name: string,
  x: Tensor,
  out: Tensor,
  backward: (x: FloatArray, y: FloatArray, g: FloatArray, dx: FloatArray) => void,
  attrs?: OpAttrs,
): Tensor {
  return record(
    name,
    [x],
    out,
    (g) => {
      const dx = empty(x.shape, x.dtype);
      backward(x.data, out.data, g.data, dx.data);
      return [dx];
    },
    attrs,
  );
}

/** Stable logistic function of one number. */
function sigmoidOf(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** Stable log(1 + e^v). */
function softplusOf(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

/**
 * max(0, x) + negativeSlope · min(0, x) (default slope 0.01, as `torch.nn.functional.leaky_relu`).
 * At x = 0 the gradient is the slope, as in PyTorch.
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return kernelPointwise(
    'leakyRelu',
    x,
    unaryRaw('leakyRelu', x, negativeSlope),
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) dx[i] = xd[i]! > 0 ? g[i]! : g[i]! * negativeSlope;
    },
    { negativeSlope },
  );
}

/** x for x > 0, alpha · (e^x - 1) otherwise (default alpha 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  return kernelPointwise(
    'elu',
    x,
    unaryRaw('elu', x, alpha),
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        dx[i] = v > 0 ? g[i]! : g[i]! * alpha * Math.exp(v);
      }
    },
    { alpha },
  );
}

/** SELU's fixed scale (Klambauer et al. 2017), as in PyTorch. */
const SELU_SCALE = 1.0507009873554805;
/** SELU's fixed alpha (Klambauer et al. 2017), as in PyTorch. */
const SELU_ALPHA = 1.6732632423543772;

/** Self-normalizing ELU: scale · elu(x, alpha) with scale ≈ 1.0507 and alpha ≈ 1.6733. */
export function selu(x: Tensor): Tensor {
  return pointwise(
    'selu',
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        y[i] = v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * Math.expm1(v);
      }
    },
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        dx[i] = v > 0 ? g[i]! * SELU_SCALE : g[i]! * SELU_SCALE * SELU_ALPHA * Math.exp(v);
      }
    },
  );
}

/** Options of {@link gelu}. */
export interface GeluOptions {
  /**
   * `'none'` (default): the exact x · Φ(x) with the normal CDF Φ(x) = (1 + erf(x/√2)) / 2.
   * `'tanh'`: the approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) used by BERT and GPT-2.
   */
  approximate?: 'none' | 'tanh';
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_COEF = 0.044715;

/** Gaussian error linear unit, x · Φ(x) (Hendrycks & Gimpel), exact or tanh-approximated. */
export function gelu(x: Tensor, opts: GeluOptions = {}): Tensor {
  const approximate = opts.approximate ?? 'none';
  if (approximate === 'tanh') return geluTanh(x);
  if (approximate !== 'none') {
    throw new ValueError(
      'gelu',
      `approximate must be 'none' or 'tanh', got '${String(approximate)}'. Fix: pass { approximate: 'tanh' } or omit it`,
    );
  }
  // Φ(x) is kept from the forward pass: the backward is Φ(x) + x·φ(x).
  const scaled = empty(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) scaled.data[i] = x.data[i]! * Math.SQRT1_2;
  const cdf = empty(x.shape, x.dtype);
  kernels().unary('erf', scaled.data, cdf.data);
  const out = empty(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) {
    const phi = 0.5 * (1 + cdf.data[i]!);
    cdf.data[i] = phi;
    out.data[i] = x.data[i]! * phi;
  }
  return kernelPointwise(
    'gelu',
    x,
    out,
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        dx[i] = g[i]! * (cdf.data[i]! + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
      }
    },
    { approximate: 'none' },
  );
}

function geluTanh(x: Tensor): Tensor {
  return pointwise(
    'gelu',
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        y[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + GELU_TANH_COEF * v * v * v)));
      }
    },
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_TANH_COEF * v * v * v));
        const dInner = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_COEF * v * v);
        dx[i] = g[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner);
      }
    },
    { approximate: 'tanh' },
  );
}

/**
 * log(1 + e^(beta·x)) / beta (defaults beta 1, threshold 20); where beta·x > threshold the result
 * is x itself, as in PyTorch, which avoids overflow and keeps the gradient exactly 1 there.
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return pointwise(
    'softplus',
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        const bv = beta * v;
        y[i] = bv > threshold ? v : softplusOf(bv) / beta;
      }
    },
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const bv = beta * xd[i]!;
        dx[i] = bv > threshold ? g[i]! : g[i]! * sigmoidOf(bv);
      }
    },
    { beta, threshold },
  );
}

/**
 * Clamp to [minVal, maxVal] (default [-1, 1]). The gradient is 1 strictly inside the range and 0
 * at and beyond its ends, as in PyTorch.
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  return clampActivation('hardtanh', x, minVal, maxVal, { minVal, maxVal });
}

/** min(max(0, x), 6), the activation of MobileNet v1/v2 (hardtanh on [0, 6]). */
export function relu6(x: Tensor): Tensor {
  return clampActivation('relu6', x, 0, 6);
}

function clampActivation(name: string, x: Tensor, lo: number, hi: number, attrs?: OpAttrs): Tensor {
  if (!(lo <= hi)) {
    throw new ValueError(
      name,
      `minVal (${lo}) must not be greater than maxVal (${hi}). Fix: swap the two bounds`,
    );
  }
  return pointwise(
    name,
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        y[i] = v < lo ? lo : v > hi ? hi : v;
      }
    },
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        dx[i] = v > lo && v < hi ? g[i]! : 0;
      }
    },
    attrs,
  );
}

/** x · sigmoid(x) (SiLU, also called swish), the activation of EfficientNet and YOLOv5. */
export function silu(x: Tensor): Tensor {
  return pointwise(
    'silu',
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) y[i] = xd[i]! * sigmoidOf(xd[i]!);
    },
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        const s = sigmoidOf(v);
        dx[i] = g[i]! * s * (1 + v * (1 - s));
      }
    },
  );
}

/** relu6(x + 3) / 6, the cheap sigmoid of MobileNetV3. */
export function hardsigmoid(x: Tensor): Tensor {
  return pointwise(
    'hardsigmoid',
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        y[i] = v <= -3 ? 0 : v >= 3 ? 1 : v / 6 + 0.5;
      }
    },
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        dx[i] = v > -3 && v < 3 ? g[i]! / 6 : 0;
      }
    },
  );
}

/** x · relu6(x + 3) / 6, the cheap swish of MobileNetV3. */
export function hardswish(x: Tensor): Tensor {
  return pointwise(
    'hardswish',
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        y[i] = v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6;
      }
    },
    (xd, _y, g, dx) => {
      // PyTorch's convention at the kinks: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above 3.
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        dx[i] = v < -3 ? 0 : v <= 3 ? g[i]! * (v / 3 + 0.5) : g[i]!;
      }
    },
  );
}

/** x · tanh(softplus(x)) (Misra 2019), the activation of YOLOv4. */
export function mish(x: Tensor): Tensor {
  return pointwise(
    'mish',
    x,
    (xd, y) => {
      for (let i = 0; i < xd.length; i++) y[i] = xd[i]! * Math.tanh(softplusOf(xd[i]!));
    },
    (xd, _y, g, dx) => {
      for (let i = 0; i < xd.length; i++) {
        const v = xd[i]!;
        const t = Math.tanh(softplusOf(v));
        dx[i] = g[i]! * (t + v * sigmoidOf(v) * (1 - t * t));
      }
    },
  );
}
