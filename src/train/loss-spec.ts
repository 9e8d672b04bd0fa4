import { ValueError } from '../errors.js';
import { binaryCrossEntropyWithLogits, crossEntropy, l1Loss, mseLoss, smoothL1Loss } from '../ops/loss.js';
import type { Tensor } from '../tensor/tensor.js';

/** A loss: model output and batch targets in, a scalar tensor out. */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** Loss names `fit` accepts, or a function. */
export type LossSpec = 'crossEntropy' | 'binaryCrossEntropyWithLogits' | 'mse' | 'l1' | 'smoothL1' | LossFn;

/** Turn a loss name into its function (class-index targets for crossEntropy; same-shape targets otherwise). */
export function resolveLoss(spec: LossSpec): LossFn {
  if (typeof spec === 'function') return spec;
  switch (spec) {
    case 'crossEntropy':
      return (o, t) => crossEntropy(o, t);
    case 'binaryCrossEntropyWithLogits':
      return (o, t) => binaryCrossEntropyWithLogits(o, t.reshape(o.shape));
    case 'mse':
      return (o, t) => mseLoss(o, t.reshape(o.shape));
    case 'l1':
      return (o, t) => l1Loss(o, t.reshape(o.shape));
    case 'smoothL1':
      return (o, t) => smoothL1Loss(o, t.reshape(o.shape));
    default:
      throw new ValueError(
        'fit',
        `unknown loss '${String(spec)}'; expected 'crossEntropy', 'binaryCrossEntropyWithLogits', 'mse', 'l1', 'smoothL1' or a function`,
      );
  }
}
