import type { Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

/**
 * A node of the autograd graph: the operation that produced a tensor, its inputs, and its
 * backward function (vector-Jacobian product). The backward of each op lives next to its forward,
 * in the op's own file.
 */
export interface GradFn {
  /** Name of the operation (shown in errors and by inspection tools). */
  readonly name: string;
  /** The tensors the operation read. */
  readonly inputs: readonly Tensor[];
  /**
   * Given the gradient of the loss with respect to the output, return the gradient with respect
   * to each input (null where an input needs none). Runs with graph recording off.
   */
  backward(grad: Tensor): (Tensor | null)[];
}

/**
 * Attach a backward function to `out` when any input requires a gradient and recording is on.
 * `backward` receives the output gradient and a mask of which inputs need gradients.
 */
export function record(
  name: string,
  inputs: readonly Tensor[],
  out: Tensor,
  backward: (grad: Tensor, needs: readonly boolean[]) => (Tensor | null)[],
): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  const needs = inputs.map((t) => {
    any ||= t.requiresGrad;
    return t.requiresGrad;
  });
  if (!any) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, backward: (g) => backward(g, needs) };
  return out;
}
