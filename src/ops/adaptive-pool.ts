import { record } from '../autograd/grad-fn.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { max, mean } from './reduce.js';
import { requireImageBatch, type MaxPool2dResult } from './pool2d.js';

/**
 * Target size of an adaptive pooling: a number for both dimensions, or [h, w] where `null` keeps
 * that input dimension (as `None` does in PyTorch).
 */
export type AdaptiveOutputSize = number | readonly [number | null, number | null];

/** Options of {@link adaptiveMaxPool2d}. */
export interface AdaptiveMaxPool2dOptions {
  /** Also return the flat index (within each H×W plane) of every maximum. */
  returnIndices?: boolean;
}

/** The bins of one dimension: bin i covers [floor(i*n/out), ceil((i+1)*n/out)), as in PyTorch. */
function bins(n: number, out: number): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(out);
  const end = new Int32Array(out);
  for (let i = 0; i < out; i++) {
    start[i] = Math.floor((i * n) / out);
    end[i] = Math.ceil(((i + 1) * n) / out);
  }
  return { start, end };
}

/** Resolve the output size against the input [N, C, H, W]. */
function resolveOutputSize(op: string, x: Tensor, size: AdaptiveOutputSize): [number, number] {
  requireImageBatch(op, x);
  const [h, w] =
    typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : [NaN, NaN];
  const dims = [h ?? x.shape[2]!, w ?? x.shape[3]!];
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) {
      throw new ValueError(
        op,
        `outputSize must be a positive integer or [h, w] of them (null keeps an input dimension); got ` +
          `${JSON.stringify(size)}. Fix: pass e.g. 7, [7, 7] or [null, 1]`,
      );
    }
  }
  if (x.shape[2] === 0 || x.shape[3] === 0) {
    throw new ValueError(
      op,
      `the input has an empty spatial dimension (shape [${x.shape.join(', ')}]); expected H, W >= 1. ` +
        'Fix: pass a non-empty image',
    );
  }
  return dims as [number, number];
}

/**
 * Adaptive average pooling (PyTorch's `F.adaptive_avg_pool2d`): averages over bins chosen so the
 * output of `x` [N, C, H, W] is exactly [N, C, outH, outW]; bins may overlap when the size does not
 * divide evenly.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveOutputSize): Tensor {
  const op = 'adaptiveAvgPool2d';
  const [outH, outW] = resolveOutputSize(op, x, outputSize);
  // One bin per plane (the classifier head of ResNet, MobileNet...) in inference: the backend's
  // sum over the plane (the loop below is TypeScript). With gradients on, the op is recorded as
  // itself (the ONNX exporter and the inspection tools read it).
  if (outH === 1 && outW === 1 && !isGradEnabled()) return mean(x, [2, 3], true);
  const [n, c, inH, inW] = x.shape as [number, number, number, number];
  const bh = bins(inH, outH);
  const bw = bins(inW, outW);
  const y = empty([n, c, outH, outW], x.dtype);
  const xd = x.data;
  const yd = y.data;
  // Why a TypeScript loop and not a Backend kernel (ARCHITECTURE.md, the op/kernel line): adaptive
  // pooling has no kernel yet (the open part of issue #10), and no bench workload uses it; this
  // loop and adaptiveMaxPool2d's below are the reference arithmetic a kernel would take over.
  for (let pl = 0; pl < n * c; pl++) {
    const xo = pl * inH * inW;
    const yo = pl * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = bh.start[oy]!;
      const y1 = bh.end[oy]!;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = bw.start[ox]!;
        const x1 = bw.end[ox]!;
        let s = 0;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += xd[xo + iy * inW + ix]!;
        yd[yo + oy * outW + ox] = s / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return record(op, [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    const gd = g.data;
    const dd = dx.data;
    for (let pl = 0; pl < n * c; pl++) {
      const xo = pl * inH * inW;
      const yo = pl * outH * outW;
      for (let oy = 0; oy < outH; oy++) {
        const y0 = bh.start[oy]!;
        const y1 = bh.end[oy]!;
        for (let ox = 0; ox < outW; ox++) {
          const x0 = bw.start[ox]!;
          const x1 = bw.end[ox]!;
          const v = gd[yo + oy * outW + ox]! / ((y1 - y0) * (x1 - x0));
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dd[xo + iy * inW + ix]! += v;
        }
      }
    }
    return [dx];
  });
}

/**
 * Adaptive max pooling (PyTorch's `F.adaptive_max_pool2d`): the maximum over each adaptive bin
 * (see {@link adaptiveAvgPool2d}). The gradient goes to the first maximum of each bin.
 */
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveOutputSize,
  opts: AdaptiveMaxPool2dOptions & { returnIndices: true },
): MaxPool2dResult;
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveOutputSize,
  opts?: AdaptiveMaxPool2dOptions & { returnIndices?: false },
): Tensor;
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveOutputSize,
  opts?: AdaptiveMaxPool2dOptions,
): Tensor | MaxPool2dResult;
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveOutputSize,
  opts: AdaptiveMaxPool2dOptions = {},
): Tensor | MaxPool2dResult {
  const op = 'adaptiveMaxPool2d';
  const [outH, outW] = resolveOutputSize(op, x, outputSize);
  // One bin per plane (the classifier head of ResNet, MobileNet...) in inference: the backend's
  // sum over the plane (the loop below is TypeScript). With gradients on, the op is recorded as
  // itself (the ONNX exporter and the inspection tools read it).
  if (outH === 1 && outW === 1 && !isGradEnabled()) return mean(x, [2, 3], true);
  const [n, c, inH, inW] = x.shape as [number, number, number, number];
  const bh = bins(inH, outH);
  const bw = bins(inW, outW);
  const y = empty([n, c, outH, outW], x.dtype);
  const idx = new Int32Array(y.size);
  const xd = x.data;
  for (let pl = 0; pl < n * c; pl++) {
    const xo = pl * inH * inW;
    const yo = pl * outH * outW;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        let best = -Infinity;
        let bestIdx = -1;
        for (let iy = bh.start[oy]!; iy < bh.end[oy]!; iy++) {
          for (let ix = bw.start[ox]!; ix < bw.end[ox]!; ix++) {
            const v = xd[xo + iy * inW + ix]!;
            if (bestIdx < 0 || v > best || Number.isNaN(v)) {
              best = v;
              bestIdx = iy * inW + ix;
            }
          }
        }
        y.data[yo + oy * outW + ox] = best;
        idx[yo + oy * outW + ox] = bestIdx;
      }
    }
  }
  const values = record(op, [x], y, (g) => {
    const dx = empty(x.shape, x.dtype);
    const plane = outH * outW;
    for (let o = 0; o < idx.length; o++) {
      dx.data[Math.floor(o / plane) * inH * inW + idx[o]!]! += g.data[o]!;
    }
    return [dx];
  });
  if (!opts.returnIndices) return values;
  const indices = empty(y.shape, x.dtype);
  for (let i = 0; i < idx.length; i++) indices.data[i] = idx[i]!;
  return { values, indices };
}

/**
 * Global average pooling: the mean of each channel of `x` [N, C, H, W], giving [N, C]
 * (or [N, C, 1, 1] with `keepdim`). The usual head of ResNet-style classifiers.
 */
export function globalAvgPool2d(x: Tensor, keepdim = false): Tensor {
  resolveOutputSize('globalAvgPool2d', x, 1); // validates rank and a non-empty image
  return mean(x, [2, 3], keepdim);
}

/**
 * Global max pooling: the maximum of each channel of `x` [N, C, H, W], giving [N, C]
 * (or [N, C, 1, 1] with `keepdim`). The gradient goes to the first maximum of each channel.
 */
export function globalMaxPool2d(x: Tensor, keepdim = false): Tensor {
  resolveOutputSize('globalMaxPool2d', x, 1); // validates rank and a non-empty image
  return max(x, [2, 3], keepdim);
}
