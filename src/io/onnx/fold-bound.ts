import type { Tensor } from '../../tensor/tensor.js';
import { onnxOperatorTraits } from '../catalog/layers.js';
import type { OnnxAttrs } from './onnx-attributes.js';

function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * Math.max(d, 0), 1);
}

function ints(t: Tensor | null | undefined): number[] {
  return t ? Array.from(t.data, (v) => Math.trunc(v)) : [];
}

function broadcastSize(shapes: readonly (readonly number[])[]): number {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  let size = 1;
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) d = Math.max(d, s[s.length - rank + i] ?? 1);
    size *= d;
  }
  return size;
}

/**
 * An upper bound on the elements an operator produces when all its inputs are constants, computed
 * from shapes and constant values before running it, so that importing a file cannot be made to
 * allocate without bound while folding constants. Null when no cheap bound exists (such nodes are
 * not folded).
 */
export function foldedOutputBound(
  op: string,
  inputs: readonly (Tensor | null)[],
  a: OnnxAttrs,
): number | null {
  const present = inputs.filter((t): t is Tensor => t !== null);
  const total = present.reduce((n, t) => n + t.size, 0);
  // Operators declare a simple bound in their catalog row (io/catalog/); the others are worked out here.
  const fold = onnxOperatorTraits(op)?.fold;
  if (fold === 'inputs') return total;
  if (fold === 'broadcast') return broadcastSize(present.map((t) => t.shape));
  switch (op) {
    case 'ConstantOfShape':
      return product(ints(inputs[0]));
    case 'Expand':
      return inputs[0] ? broadcastSize([inputs[0].shape, ints(inputs[1])]) : null;
    case 'Tile':
      return inputs[0] ? inputs[0].size * product(ints(inputs[1])) : null;
    case 'Gather': {
      const [data, idx] = inputs;
      if (!data || !idx) return null;
      const axis = a.int('axis', 0);
      const len = data.shape[axis < 0 ? axis + data.ndim : axis] ?? 1;
      return (idx.size * data.size) / Math.max(len, 1);
    }
    case 'Pad': {
      const x = inputs[0];
      const pads = a.has('pads') ? a.ints('pads') : ints(inputs[1]);
      if (!x || pads.length !== 2 * x.ndim) return null;
      return product(x.shape.map((d, i) => d + pads[i]! + pads[i + x.ndim]!));
    }
    case 'MatMul':
    case 'Gemm': {
      const [p, q] = inputs;
      if (!p || !q) return null;
      return (
        (p.size / Math.max(p.shape[p.ndim - 1] ?? 1, 1)) * (q.shape[q.ndim - 1] ?? 1) + (inputs[2]?.size ?? 0)
      );
    }
    default:
      return null;
  }
}
