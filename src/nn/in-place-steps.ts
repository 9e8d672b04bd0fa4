import { record } from '../autograd/grad-fn.js';
import { kernels } from '../backend/registry.js';
import { activateInPlace, type FusedActivation } from '../ops/fused-activation.js';
import { Tensor } from '../tensor/tensor.js';
import { ReLU, ReLU6 } from './activation-layers.js';
import { Conv2d } from './conv.js';
import { Add } from './merge.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d } from './normalization.js';

// The steps a container (Sequential, Graph) runs in place outside fused inference, as PyTorch's
// ResNet does with `ReLU(inplace=True)` and `out += identity`: a ReLU or ReLU6 layer overwrites the
// value it reads, and an Add sums into its first input, when that value is dead after the step
// (the container read it for the last time, it is not one of the container's inputs or outputs)
// and the layer that made it is one whose backward never reads its own output (a convolution or a
// sum without a fused activation, a batch norm: they keep their inputs, not their outputs). Every
// layer involved is one of Stride's own classes without a forward hook (a hook may keep what it is
// shown). Training then keeps one tensor per conv -> batch norm -> ReLU instead of two, and one per
// residual sum + ReLU instead of three (ResNet-18 at batch 8: about 90 MB less), and writes less.

/** Whether `m`, which made a value, never reads that value again (in its backward or anywhere). */
export function outputIsScratch(m: Module | null | undefined): boolean {
  if (!m || m.hasForwardHooks) return false;
  const proto = Object.getPrototypeOf(m) as object;
  if (proto === BatchNorm2d.prototype || proto === BatchNorm1d.prototype) return true;
  if (proto === Conv2d.prototype) return (m as Conv2d).activation === null;
  return false;
}

/** Whether `m` is a sum (Add without activation) of at least two inputs whose output may be overwritten. */
export function sumOutputIsScratch(m: Module | null | undefined, inputs: number): boolean {
  if (!m || m.hasForwardHooks || Object.getPrototypeOf(m) !== Add.prototype) return false;
  return inputs >= 2 && (m as Add).activation === null;
}

/** The activation a stock ReLU / ReLU6 layer without hooks applies, or null for any other layer. */
export function inPlaceActivationOf(m: Module | null | undefined): FusedActivation | null {
  if (!m || m.hasForwardHooks) return null;
  const proto = Object.getPrototypeOf(m) as object;
  if (proto === ReLU.prototype) return 'relu';
  if (proto === ReLU6.prototype) return 'relu6';
  return null;
}

/** Whether `m` is a stock Add without hooks (its activation, if any, is applied after the sum). */
export function isStockAdd(m: Module | null | undefined): m is Add {
  return !!m && !m.hasForwardHooks && Object.getPrototypeOf(m) === Add.prototype;
}

/**
 * `first + others[0] + ...` written into `first`'s storage (all of `first`'s shape), then the
 * Add's activation in place: a tensor sharing that storage, recorded as the sum (and activation).
 * Only for a `first` that is dead after this call and whose maker does not read it again.
 */
export function addInto(
  first: Tensor,
  others: readonly Tensor[],
  activation: FusedActivation | null,
): Tensor {
  let y = first;
  for (const t of others) {
    const d = y.data;
    kernels().binary('add', d, y.shape, t.data, t.shape, d, y.shape);
    const sum = new Tensor(d, y.shape);
    y = record('add', [y, t], sum, (g, needs) => [needs[0] ? g : null, needs[1] ? g : null]);
  }
  return activation ? activateInPlace(y, activation) : y;
}

/** Whether every tensor has `shape` exactly (an in-place sum cannot broadcast into its first input). */
export function allShaped(ts: readonly Tensor[], shape: readonly number[]): boolean {
  return ts.every((t) => t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]));
}
