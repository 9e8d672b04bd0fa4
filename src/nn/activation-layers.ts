import {
  celu,
  elu,
  gelu,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  mish,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softplus,
  softsign,
  tanh,
} from '../ops/activation.js';
import { clamp } from '../ops/elementwise.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from './module.js';

/** max(0, x), like `torch.nn.ReLU`. */
export class ReLU extends Module {
  /** Element-wise max(0, x). */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** x for x > 0, negativeSlope·x otherwise, like `torch.nn.LeakyReLU` (default slope 0.01). */
export class LeakyReLU extends Module {
  /** Slope for negative inputs. */
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = negativeSlope;
  }

  /** Element-wise leaky ReLU. */
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** x for x > 0, alpha·(eˣ - 1) otherwise, like `torch.nn.ELU` (default alpha 1). */
export class ELU extends Module {
  /** Saturation value for negative inputs (-alpha). */
  readonly alpha: number;

  constructor(alpha = 1) {
    super();
    this.alpha = alpha;
  }

  /** Element-wise ELU. */
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** max(0, x) + min(0, alpha·(e^(x/alpha) - 1)), like `torch.nn.CELU` (default alpha 1). */
export class CELU extends Module {
  /** Saturation value for negative inputs (-alpha), and the scale of x in the exponent. */
  readonly alpha: number;

  constructor(alpha = 1) {
    super();
    this.alpha = alpha;
  }

  /** Element-wise CELU. */
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** Scaled ELU with fixed constants, like `torch.nn.SELU`. */
export class SELU extends Module {
  /** Element-wise SELU. */
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/** x·Φ(x), like `torch.nn.GELU` (`approximate: 'tanh'` for the tanh formula). */
export class GELU extends Module {
  /** `'none'` (exact, default) or `'tanh'`. */
  readonly approximate: 'none' | 'tanh';

  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
  }

  /** Element-wise GELU. */
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return this.approximate === 'none' ? '' : `approximate=${this.approximate}`;
  }
}

/** 1 / (1 + e⁻ˣ), like `torch.nn.Sigmoid`. */
export class Sigmoid extends Module {
  /** Element-wise logistic function. */
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Hyperbolic tangent, like `torch.nn.Tanh`. */
export class Tanh extends Module {
  /** Element-wise tanh. */
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** min(max(0, x), 6), like `torch.nn.ReLU6` (MobileNet). */
export class ReLU6 extends Module {
  /** Element-wise ReLU6. */
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/** x·sigmoid(x), like `torch.nn.SiLU` (a.k.a. swish). */
export class SiLU extends Module {
  /** Element-wise SiLU. */
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** x·tanh(softplus(x)), like `torch.nn.Mish`. */
export class Mish extends Module {
  /** Element-wise Mish. */
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

/** log(1 + e^(beta·x)) / beta, linear above `threshold`, like `torch.nn.Softplus`. */
export class Softplus extends Module {
  /** Sharpness (default 1). */
  readonly beta: number;
  /** Above beta·x > threshold the output is x (default 20). */
  readonly threshold: number;

  constructor(beta = 1, threshold = 20) {
    super();
    this.beta = beta;
    this.threshold = threshold;
  }

  /** Element-wise softplus. */
  forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }

  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** clamp(x, minVal, maxVal), like `torch.nn.Hardtanh` (default [-1, 1]). */
export class Hardtanh extends Module {
  /** Lower bound. */
  readonly minVal: number;
  /** Upper bound. */
  readonly maxVal: number;

  constructor(minVal = -1, maxVal = 1) {
    super();
    this.minVal = minVal;
    this.maxVal = maxVal;
  }

  /** Element-wise clamp. */
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/** relu6(x + 3) / 6, like `torch.nn.Hardsigmoid`. */
export class Hardsigmoid extends Module {
  /** Element-wise hard sigmoid. */
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

/** x·relu6(x + 3) / 6, like `torch.nn.Hardswish` (MobileNetV3). */
export class Hardswish extends Module {
  /** Element-wise hard swish. */
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/** x / (1 + |x|), like `torch.nn.Softsign`. */
export class Softsign extends Module {
  /** Element-wise softsign. */
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

/**
 * Keras' hard sigmoid, clip(0.2·x + 0.5, 0, 1): a steeper ramp than PyTorch's {@link Hardsigmoid}
 * (x/6 + 1/2), for Keras models imported with their own activation.
 */
export class KerasHardSigmoid extends Module {
  /** Element-wise clip(0.2·x + 0.5, 0, 1). */
  forward(x: Tensor): Tensor {
    return clamp(x.mul(0.2).add(0.5), 0, 1);
  }
}

/** PyTorch's implicit softmax dimension: 0 for 0-, 1- and 3-D inputs (unbatched), else 1 (channels). */
function implicitDim(x: Tensor): number {
  return x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
}

/**
 * Softmax along `dim`, like `torch.nn.Softmax`. Without `dim`, PyTorch's implicit choice: the
 * class/channel dimension (1 for [N, classes] and [N, C, H, W]; 0 for unbatched inputs).
 */
export class Softmax extends Module {
  /** Dimension normalized to sum 1, or undefined for the implicit choice. */
  readonly dim: number | undefined;

  constructor(dim?: number) {
    super();
    this.dim = dim;
  }

  /** Probabilities along `dim`. */
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim ?? implicitDim(x));
  }

  override extraRepr(): string {
    return this.dim === undefined ? '' : `dim=${this.dim}`;
  }
}

/** log(softmax(x)) computed stably, like `torch.nn.LogSoftmax`; `dim` as in {@link Softmax}. */
export class LogSoftmax extends Module {
  /** Dimension normalized, or undefined for the implicit choice. */
  readonly dim: number | undefined;

  constructor(dim?: number) {
    super();
    this.dim = dim;
  }

  /** Log-probabilities along `dim`. */
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim ?? implicitDim(x));
  }

  override extraRepr(): string {
    return this.dim === undefined ? '' : `dim=${this.dim}`;
  }
}
