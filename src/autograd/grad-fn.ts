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
   * The operation's resolved attributes (softmax's `dim`, gelu's `approximate`, elu's `alpha`...),
   * so that readers of the graph (the ONNX exporter, inspection) see exactly what ran instead of
   * re-deriving it. Empty for operations without attributes.
   */
  readonly attrs: OpAttrs;
  /**
   * Given the gradient of the loss with respect to the output, return the gradient with respect
   * to each input (null where an input needs none). Runs with graph recording off.
   */
  backward(grad: Tensor): (Tensor | null)[];
}

/** The resolved attributes an operation records: plain numbers, strings, booleans and integer lists. */
export type OpAttrs = Readonly<Record<string, number | string | boolean | readonly number[]>>;

const NO_ATTRS: OpAttrs = Object.freeze({});

/**
 * Attach a backward function to `out` when any input requires a gradient and recording is on.
 * `backward` receives the output gradient and a mask of which inputs need gradients; `attrs` are the
 * operation's resolved attributes (kept on the record, see {@link GradFn.attrs}).
 */
export function record(
  name: string,
  inputs: readonly Tensor[],
  out: Tensor,
  backward: (grad: Tensor, needs: readonly boolean[]) => (Tensor | null)[],
  attrs: OpAttrs = NO_ATTRS,
): Tensor {
  if (!isGradEnabled()) return out;
  let any = false;
  const needs = inputs.map((t) => {
    any ||= t.requiresGrad;
    return t.requiresGrad;
  });
  if (!any) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, attrs, backward: (g) => backward(g, needs) };
  return out;
}
