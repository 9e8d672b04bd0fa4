import type { StateDict } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';

/** A deep copy of a state dict (the tensors' data is copied, so later training does not change it). */
export function copyStateDict(sd: StateDict): StateDict {
  const out: StateDict = {};
  for (const [k, t] of Object.entries(sd)) out[k] = new Tensor(t.data.slice(), t.shape);
  return out;
}
