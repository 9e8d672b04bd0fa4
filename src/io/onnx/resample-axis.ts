import { record } from '../../autograd/grad-fn.js';
import { allocate } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * How one output position along an axis is made from the input: a weighted sum of input positions,
 * or a constant (`fill`, for positions outside the input in ONNX's `tf_crop_and_resize`).
 */
export interface ResampleTap {
  /** Input positions read. */
  readonly src: readonly number[];
  /** Their weights. */
  readonly weights: readonly number[];
  /** When set, the output is this constant instead. */
  readonly fill?: number;
}

/**
 * Resample `x` along one axis: output position `o` is `Σ weights[k] · x[src[k]]` (or `fill`). With
 * one tap per position this is nearest-neighbour, two is linear, four is cubic; applying it axis by
 * axis gives any separable resize. Differentiable: the gradient scatters back through the same
 * taps.
 */
export function resampleAxis(x: Tensor, axis: number, taps: readonly ResampleTap[]): Tensor {
  const shape = [...x.shape];
  const len = shape[axis]!;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outLen = taps.length;
  shape[axis] = outLen;
  const out = allocate(x.dtype, outer * outLen * inner);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < outLen; j++) {
      const t = taps[j]!;
      const dst = (o * outLen + j) * inner;
      if (t.fill !== undefined) {
        out.fill(t.fill, dst, dst + inner);
        continue;
      }
      for (let k = 0; k < t.src.length; k++) {
        const w = t.weights[k]!;
        const src = (o * len + t.src[k]!) * inner;
        for (let i = 0; i < inner; i++) out[dst + i]! += w * xd[src + i]!;
      }
    }
  }
  const y = new Tensor(out, shape);
  return record('resample', [x], y, (g) => {
    const dx = allocate(x.dtype, x.size);
    const gd = g.data;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < outLen; j++) {
        const t = taps[j]!;
        if (t.fill !== undefined) continue;
        const src = (o * outLen + j) * inner;
        for (let k = 0; k < t.src.length; k++) {
          const w = t.weights[k]!;
          const dst = (o * len + t.src[k]!) * inner;
          for (let i = 0; i < inner; i++) dx[dst + i]! += w * gd[src + i]!;
        }
      }
    }
    return [new Tensor(dx, x.shape)];
  });
}
