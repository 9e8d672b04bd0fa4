import { kernels } from '../backend/registry.js';
import { shapesEqual } from '../tensor/shape.js';
import { empty, Tensor } from '../tensor/tensor.js';

/**
 * Sum a broadcast gradient back down to the shape of the operand it came from (the backward of
 * broadcasting): leading extra dimensions and dimensions that were 1 are summed away.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const nd = g.ndim;
  const off = nd - shape.length;
  const axes: number[] = [];
  for (let d = 0; d < nd; d++) {
    if (d < off || (shape[d - off] === 1 && g.shape[d] !== 1)) axes.push(d);
  }
  const out = empty(shape, g.dtype);
  if (axes.length === 0) {
    out.data.set(g.data);
    return out;
  }
  kernels().reduce('sum', g.data, g.shape, axes, out.data);
  return out;
}
