/**
 * Activation functions with PyTorch's definitions and defaults. Each forward and each backward is
 * one backend kernel call (`Backend.activation` / `activationGrad`, one row per activation in
 * `backend/reference/activation.ts` and `native/src/activation.cc`): the derivative is computed
 * directly from the input and output, with no chain of tiny ops, since activations run on every
 * feature map of every training step. Each op records its resolved options on the autograd graph.
 *
 * relu, sigmoid and tanh live with the element-wise ops and are re-exported here.
 */
import { record, type OpAttrs } from '../autograd/grad-fn.js';
import type { ActivationOp } from '../backend/backend.js';
import { kernels } from '../backend/registry.js';
import { ValueError } from '../errors.js';
import { empty, type Tensor } from '../tensor/tensor.js';

export { relu, sigmoid, tanh } from './elementwise.js';

/**
 * Run the activation kernel `kernel` (parameters p0, p1) and record op `name` with `attrs`; the
 * backward is the kernel's derivative times the output gradient.
 */
function activationOp(
  name: string,
  kernel: ActivationOp,
  x: Tensor,
  p0 = 0,
  p1 = 0,
  attrs?: OpAttrs,
): Tensor {
  const out = empty(x.shape, x.dtype);
  kernels().activation(kernel, x.data, out.data, p0, p1);
  return record(
    name,
    [x],
    out,
    (g) => {
      const dx = empty(x.shape, x.dtype);
      kernels().activationGrad(kernel, x.data, out.data, g.data, dx.data, p0, p1);
      return [dx];
    },
    attrs,
  );
}

/**
 * max(0, x) + negativeSlope · min(0, x) (default slope 0.01, as `torch.nn.functional.leaky_relu`).
 * At x = 0 the gradient is the slope, as in PyTorch.
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return activationOp('leakyRelu', 'leakyRelu', x, negativeSlope, 0, { negativeSlope });
}

/** x for x > 0, alpha · (e^x - 1) otherwise (default alpha 1). */
export function elu(x: Tensor, alpha = 1): Tensor {
  return activationOp('elu', 'elu', x, alpha, 0, { alpha });
}

/**
 * max(0, x) + min(0, alpha · (e^(x/alpha) - 1)) (Barron 2017), like `torch.nn.functional.celu`
 * (default alpha 1, where it equals ELU): an ELU whose derivative is continuous for every alpha.
 */
export function celu(x: Tensor, alpha = 1): Tensor {
  if (!(alpha !== 0 && Number.isFinite(alpha))) {
    throw new ValueError('celu', `alpha must be a finite non-zero number (got ${alpha}). Fix: pass e.g. 1`);
  }
  return activationOp('celu', 'celu', x, alpha, 0, { alpha });
}

/** Self-normalizing ELU: scale · elu(x, alpha) with scale ≈ 1.0507 and alpha ≈ 1.6733. */
export function selu(x: Tensor): Tensor {
  return activationOp('selu', 'selu', x);
}

/** Options of {@link gelu}. */
export interface GeluOptions {
  /**
   * `'none'` (default): the exact x · Φ(x) with the normal CDF Φ(x) = (1 + erf(x/√2)) / 2.
   * `'tanh'`: the approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) used by BERT and GPT-2.
   */
  approximate?: 'none' | 'tanh';
}

/** Gaussian error linear unit, x · Φ(x) (Hendrycks & Gimpel), exact or tanh-approximated. */
export function gelu(x: Tensor, opts: GeluOptions = {}): Tensor {
  const approximate = opts.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new ValueError(
      'gelu',
      `approximate must be 'none' or 'tanh', got '${String(approximate)}'. Fix: pass { approximate: 'tanh' } or omit it`,
    );
  }
  return activationOp('gelu', approximate === 'tanh' ? 'geluTanh' : 'gelu', x, 0, 0, { approximate });
}

/**
 * log(1 + e^(beta·x)) / beta (defaults beta 1, threshold 20); where beta·x > threshold the result
 * is x itself, as in PyTorch, which avoids overflow and keeps the gradient exactly 1 there.
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return activationOp('softplus', 'softplus', x, beta, threshold, { beta, threshold });
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
  return activationOp(name, 'hardtanh', x, lo, hi, attrs);
}

/** x · sigmoid(x) (SiLU, also called swish), the activation of EfficientNet and YOLOv5. */
export function silu(x: Tensor): Tensor {
  return activationOp('silu', 'silu', x);
}

/** relu6(x + 3) / 6, the cheap sigmoid of MobileNetV3. */
export function hardsigmoid(x: Tensor): Tensor {
  return activationOp('hardsigmoid', 'hardsigmoid', x);
}

/** x · relu6(x + 3) / 6, the cheap swish of MobileNetV3. */
export function hardswish(x: Tensor): Tensor {
  return activationOp('hardswish', 'hardswish', x);
}

/** x · tanh(softplus(x)) (Misra 2019), the activation of YOLOv4. */
export function mish(x: Tensor): Tensor {
  return activationOp('mish', 'mish', x);
}

/** x / (1 + |x|), a sigmoid-shaped curve with polynomial tails (Keras' and ONNX's `softsign`). */
export function softsign(x: Tensor): Tensor {
  return activationOp('softsign', 'softsign', x);
}
