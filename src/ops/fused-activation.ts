/**
 * Activations applied in place to the output of the op that just produced it (a convolution, a
 * residual sum), saving the extra output tensor and the extra pass over memory that a separate
 * activation layer costs. `fuseForInference` and layers built with an `activation` option use it.
 */
import { record } from '../autograd/grad-fn.js';
import { kernels } from '../backend/registry.js';
import { ValueError } from '../errors.js';
import { Tensor, empty } from '../tensor/tensor.js';

/** Activations a layer can apply to its own output in place. */
export type FusedActivation = 'relu' | 'relu6';

/** Every {@link FusedActivation}, in a fixed order. */
export const FUSED_ACTIVATIONS: readonly FusedActivation[] = Object.freeze(['relu', 'relu6']);

/**
 * Check an `activation` option: returns it, null for undefined/null, and throws a ValueError
 * naming the layer for anything else.
 */
export function checkFusedActivation(op: string, a: unknown): FusedActivation | null {
  if (a === undefined || a === null) return null;
  if (typeof a === 'string' && (FUSED_ACTIVATIONS as readonly string[]).includes(a))
    return a as FusedActivation;
  throw new ValueError(
    op,
    `activation must be one of ${FUSED_ACTIVATIONS.map((n) => `'${n}'`).join(', ')} (applied to the output in place), got ${JSON.stringify(a)}. ` +
      'Fix: use one of those, or put a separate activation layer after this one',
  );
}

/**
 * Apply `activation` to `y` by overwriting its values, and return a tensor sharing that storage
 * whose backward masks the gradient by the activation's derivative.
 *
 * Only for a `y` that the caller has just created and that nothing else holds, made by an op whose
 * backward does not read its own output (convolutions and sums qualify): `y`'s values are replaced.
 */
export function activateInPlace(y: Tensor, activation: FusedActivation): Tensor {
  const d = y.data;
  // ReLU6 is hardtanh(x, 0, 6): the backend's activation kernel (native: vectorized) in place.
  if (activation === 'relu') kernels().unary('relu', d, d);
  else kernels().activation('hardtanh', d, d, 0, 6);
  return recordActivation(y, activation);
}

/**
 * For a `y` whose values the kernel that made it has already passed through `activation` (a
 * convolution with the activation fused): a tensor sharing `y`'s storage whose backward masks the
 * gradient by the activation's derivative, as {@link activateInPlace}'s does.
 */
export function recordActivation(y: Tensor, activation: FusedActivation): Tensor {
  const d = y.data;
  const out = new Tensor(d, y.shape);
  return record(activation, [y], out, (g) => {
    const dx = empty(y.shape, y.dtype);
    if (activation === 'relu') {
      kernels().binary('reluGrad', g.data, g.shape, d, y.shape, dx.data, y.shape);
      return [dx];
    }
    const gd = g.data;
    const dd = dx.data;
    // ReLU6's derivative from the output: 1 where it passed its input through.
    for (let i = 0; i < dd.length; i++) {
      const v = d[i]!;
      dd[i] = v > 0 && v < 6 ? gd[i]! : 0;
    }
    return [dx];
  });
}
