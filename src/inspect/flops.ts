import type { Module } from '../nn/module.js';
import { resolveInputShape, traceForward, type TraceOptions } from './trace.js';

/** Multiply-adds of one layer run, as reported by {@link countMacs}. */
export interface LayerMacs {
  /** Dotted module name (with `#2`, ... for a module's later runs). */
  name: string;
  /** The module's type name. */
  type: string;
  /** Multiply-adds per image. */
  macs: number;
}

/** What {@link countMacs} returns. */
export interface MacCount {
  /** Multiply-adds per image of the whole forward pass. */
  total: number;
  /** The layers that did multiply-adds, in the order they ran. */
  layers: LayerMacs[];
}

/**
 * Count the multiply-adds (MACs) of one forward pass, per image: every convolution contributes
 * outputs · (inChannels/groups) · kH · kW, every matrix product (linear layers, matmul) m · n · k.
 * Biases, normalization, activations and pooling are not counted: the convention of the ResNet
 * paper, whose "FLOPs" (1.8 / 3.6 / 3.8 / 7.6 / 11.3 billion for ResNet-18 to 152) are
 * multiply-adds, and of the decks' naive Inception module (854,196,224). Twice the MACs gives the
 * floating-point operations.
 *
 * The count comes from the kernel calls the real forward pass makes (shape-only by default, see
 * `TraceOptions.execute`), not from a table of layer types, so functional code inside custom
 * modules is counted too, and each count is credited to the innermost module whose own code ran it.
 *
 * @param inputShape per-image input shape (default: the model's recorded one).
 */
export function countMacs(model: Module, inputShape?: readonly number[], opts: TraceOptions = {}): MacCount {
  const shape = resolveInputShape('countMacs', model, inputShape);
  const trace = traceForward(model, shape, opts, 'countMacs');
  const layers: LayerMacs[] = [];
  for (const call of trace.calls) {
    const macs = call.kernels.reduce((s, k) => s + k.macs, 0);
    if (macs > 0) layers.push({ name: call.label, type: call.module.typeName, macs: macs / trace.batchSize });
  }
  return { total: trace.kernels.reduce((s, k) => s + k.macs, 0) / trace.batchSize, layers };
}
