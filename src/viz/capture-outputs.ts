import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';
import { findLayer } from './find-layer.js';

/** Options of {@link captureOutputs}. */
export interface CaptureOptions {
  /**
   * Replace each captured output with a detached leaf that requires a gradient, so that a later
   * `backward()` leaves d(score)/d(layer output) in its `.grad` (Grad-CAM). The layers below it
   * then get no gradient. Default false: the output is captured as it is (still in the graph).
   */
  asLeaf?: boolean;
}

/**
 * Run `fn` (which runs the model) with forward hooks on the named layers and return what `fn`
 * returned with each layer's output. The hooks are removed afterwards, even when `fn` throws; the
 * model itself is not changed. A layer called several times keeps its last output.
 */
export function captureOutputs<T>(
  op: string,
  model: Module,
  names: readonly string[],
  fn: () => T,
  opts: CaptureOptions = {},
): { result: T; outputs: Map<string, Tensor> } {
  const outputs = new Map<string, Tensor>();
  const handles = names.map((name) =>
    findLayer(op, model, name).registerForwardHook((_m, _inputs, out) => {
      if (!opts.asLeaf) {
        outputs.set(name, out);
        return;
      }
      const leaf = out.detach().requiresGrad_();
      outputs.set(name, leaf);
      return leaf;
    }),
  );
  try {
    const result = fn();
    return { result, outputs };
  } finally {
    for (const h of handles) h.remove();
  }
}
