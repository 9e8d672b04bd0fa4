import { Tensor } from '../tensor/tensor.js';

/** A fresh leaf copy of `x` (own data, no history) that requires a gradient. */
export function inputLeaf(x: Tensor): Tensor {
  return new Tensor(x.data.slice(), x.shape).requiresGrad_();
}
