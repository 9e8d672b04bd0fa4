import { Tensor } from '../tensor/tensor.js';

/**
 * A trainable tensor owned by a {@link Module}: a `Tensor` that requires a gradient by default.
 *
 * Assigning a `Parameter` to a field of a module registers it under the field's name (like
 * `nn.Parameter` in PyTorch). A parameter shares its storage with the tensor it wraps, and loading a
 * state dict copies values into that storage, so references held by optimizers stay valid.
 */
export class Parameter extends Tensor {
  /**
   * Wrap `t` (sharing its storage) as a parameter.
   * @param t the initial values
   * @param requiresGrad whether the optimizer should train it (default true); see `Module.freeze()`
   */
  constructor(t: Tensor, requiresGrad = true) {
    super(t.data, t.shape);
    this.requiresGrad = requiresGrad;
  }

  /** `Parameter containing: Tensor(...)`, as PyTorch prints it. */
  override toString(): string {
    return `Parameter containing: ${super.toString()}`;
  }
}
