import { record } from '../autograd/grad-fn.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Pool2dParams } from '../backend/backend.js';
import { kernels } from '../backend/registry.js';
import { ShapeError, ValueError } from '../errors.js';
import type { FloatArray } from '../tensor/dtype.js';
import { takeInferenceBuffer } from '../tensor/inference-buffer-pool.js';
import { empty, Tensor } from '../tensor/tensor.js';
import {
  checkWindowFits,
  effectiveKernel,
  resolvePadding,
  windowOutputSize,
  type Pads,
  type Padding2d,
  type Pair,
} from './geometry.js';

/** Options of {@link maxPool2d} (PyTorch's `F.max_pool2d`, camelCase). */
export interface MaxPool2dOptions {
  /** Window size: a number or [h, w]. */
  kernelSize: Pair;
  /** Step between windows (default: the kernel size, as in PyTorch). */
  stride?: Pair;
  /**
   * Zero padding (padding never wins a max): a number, [h, w], [top, bottom, left, right],
   * `'valid'` (none, the default) or `'same'` (TensorFlow's rule, output = ceil(input / stride)).
   * Numeric padding may be at most half the kernel on each side, as in PyTorch.
   */
  padding?: Padding2d;
  /** Spacing between the window's taps (default 1). */
  dilation?: Pair;
  /** Use ceil instead of floor for the output size (a last partial window is kept). */
  ceilMode?: boolean;
  /** Also return the flat index (within each H×W plane) of every maximum. */
  returnIndices?: boolean;
}

/** Options of {@link avgPool2d} (PyTorch's `F.avg_pool2d`, camelCase). */
export interface AvgPool2dOptions {
  /** Window size: a number or [h, w]. */
  kernelSize: Pair;
  /** Step between windows (default: the kernel size, as in PyTorch). */
  stride?: Pair;
  /**
   * Zero padding: a number, [h, w], [top, bottom, left, right], `'valid'` (none, the default) or
   * `'same'` (TensorFlow's rule). Numeric padding may be at most half the kernel on each side.
   */
  padding?: Padding2d;
  /** Use ceil instead of floor for the output size. */
  ceilMode?: boolean;
  /**
   * Divide by the whole window, zero padding included (true, PyTorch's default) or only by the
   * input elements it covers (false). With `padding: 'same'` the default is false, as in
   * TensorFlow. Parts of a ceil-mode window that hang past the padding never count.
   */
  countIncludePad?: boolean;
  /** Divide every window's sum by this non-zero integer instead. */
  divisorOverride?: number;
}

/** Max pooling values with the flat index (within each H×W plane) of each maximum. */
export interface MaxPool2dResult {
  /** The pooled maxima, [N, C, outH, outW]. */
  values: Tensor;
  /** Flat indices iy * W + ix of each maximum (stored as numbers, dtype of the input), same shape. */
  indices: Tensor;
}

/**
 * Throw a ShapeError unless `x` is a batch of images [N, C, H, W]. Shared by the pooling and
 * resampling ops.
 */
export function requireImageBatch(op: string, x: Tensor): void {
  if (x.ndim !== 4) {
    throw new ShapeError(
      op,
      'the input must be a batch of images [N, C, H, W]',
      'rank 4 [N, C, H, W]',
      x.shape,
      x.ndim === 3
        ? 'add a batch dimension with x.unsqueeze(0)'
        : 'reshape the input to [batch, channels, height, width]',
    );
  }
}

/**
 * Expand a number or [h, w] into [h, w] of integers >= `min`, or throw a ValueError that names the
 * option, what was expected, what was got and `fix`. Shared by the pooling and resampling ops.
 */
export function intPair(op: string, name: string, v: unknown, min: number, fix: string): [number, number] {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= min;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  const what = min === 0 ? 'non-negative' : min === 1 ? 'positive' : `>= ${min}`;
  throw new ValueError(
    op,
    `${name} must be a ${what} integer or [h, w] of them; got ${JSON.stringify(v)}. Fix: ${fix}`,
  );
}

/** Options shared by max and average pooling, before resolution. */
interface WindowArgs {
  kernelSize: Pair;
  stride?: Pair | undefined;
  padding?: Padding2d | undefined;
  dilation?: Pair | undefined;
  ceilMode?: boolean | undefined;
}

/** Resolve and validate a pooling window over `x` into kernel parameters. */
function poolParams(op: string, x: Tensor, a: WindowArgs, countIncludePad: boolean): Pool2dParams {
  requireImageBatch(op, x);
  const [kH, kW] = intPair(op, 'kernelSize', a.kernelSize, 1, 'pass a window size such as 2 or [3, 3]');
  const [strideH, strideW] =
    a.stride === undefined
      ? [kH, kW]
      : intPair(op, 'stride', a.stride, 1, 'use a stride of at least 1 (omit it to step by the kernel size)');
  const [dilationH, dilationW] =
    a.dilation === undefined
      ? [1, 1]
      : intPair(op, 'dilation', a.dilation, 1, 'use a dilation of at least 1');
  const [batch, channels, inH, inW] = x.shape as [number, number, number, number];
  if (inH === 0 || inW === 0) {
    throw new ShapeError(op, 'the input image is empty', 'H, W >= 1', x.shape, 'pass a non-empty image');
  }
  const padding = a.padding ?? 'valid';
  const pads = resolvePadding(op, padding, inH, inW, kH, kW, strideH, strideW, dilationH, dilationW);
  if (padding !== 'same') checkHalfKernel(op, pads, kH, kW, padding);
  checkWindowFits(
    op,
    'pooling window',
    x.shape,
    inH,
    effectiveKernel(kH, dilationH),
    pads.top + pads.bottom,
    'height',
  );
  checkWindowFits(
    op,
    'pooling window',
    x.shape,
    inW,
    effectiveKernel(kW, dilationW),
    pads.left + pads.right,
    'width',
  );
  const ceil = a.ceilMode ?? false;
  return {
    batch,
    channels,
    inH,
    inW,
    kH,
    kW,
    strideH,
    strideW,
    padTop: pads.top,
    padLeft: pads.left,
    padBottom: pads.bottom,
    padRight: pads.right,
    dilationH,
    dilationW,
    outH: windowOutputSize(inH, kH, strideH, pads.top, pads.bottom, dilationH, ceil),
    outW: windowOutputSize(inW, kW, strideW, pads.left, pads.right, dilationW, ceil),
    countIncludePad,
  };
}

/** PyTorch's rule for explicit padding: every side at most floor(kernel / 2). */
function checkHalfKernel(op: string, pads: Pads, kH: number, kW: number, padding: Padding2d): void {
  const maxH = Math.floor(kH / 2);
  const maxW = Math.floor(kW / 2);
  if (pads.top > maxH || pads.bottom > maxH || pads.left > maxW || pads.right > maxW) {
    throw new ValueError(
      op,
      `padding must be at most half the kernel on each side (<= ${maxH} rows, <= ${maxW} columns for a ` +
        `${kH}x${kW} kernel); got ${JSON.stringify(padding)}. Fix: use a smaller padding, a larger kernel, ` +
        `or padding: 'same'`,
    );
  }
}

function isPair(v: unknown): v is Pair {
  return typeof v === 'number' || Array.isArray(v);
}

// Max-pool indices nothing reads (no gradient recorded, none returned) are not computed at all: the
// kernels then keep only the values (ResNet-18's stem pool ran 2-3x faster without its 0.8 MB of
// indices per forward).
function indicesFor(size: number, kept: boolean): Int32Array | null {
  return kept ? new Int32Array(size) : null;
}

/**
 * 2-D max pooling over each channel of `x` [N, C, H, W] (PyTorch's `F.max_pool2d`). Pass the
 * window size alone (`maxPool2d(x, 2)`) or options. The gradient goes to the first maximum of each
 * window (in row-major order), summed where windows overlap.
 */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions & { returnIndices: true }): MaxPool2dResult;
export function maxPool2d(x: Tensor, opts: Pair | (MaxPool2dOptions & { returnIndices?: false })): Tensor;
export function maxPool2d(x: Tensor, opts: Pair | MaxPool2dOptions): Tensor | MaxPool2dResult;
export function maxPool2d(x: Tensor, opts: Pair | MaxPool2dOptions): Tensor | MaxPool2dResult {
  const o: MaxPool2dOptions = isPair(opts) ? { kernelSize: opts } : opts;
  const p = poolParams('maxPool2d', x, o, false);
  if (!isGradEnabled() && !o.returnIndices) return maxPool2dInference(p, x);
  const y = empty([p.batch, p.channels, p.outH, p.outW], x.dtype);
  const idx = indicesFor(y.size, (o.returnIndices ?? false) || (isGradEnabled() && x.requiresGrad));
  kernels().maxPool2dForward(p, x.data, y.data, idx);
  const values = record(
    'maxPool2d',
    [x],
    y,
    (g) => {
      const dx = empty(x.shape, x.dtype);
      // Recorded only when x requires grad, and then the indices were kept.
      kernels().maxPool2dBackward(p, g.data, idx!, dx.data);
      return [dx];
    },
    { ...windowAttrs(p), ceilMode: o.ceilMode ?? false },
  );
  if (!o.returnIndices) return values;
  const indices = empty(y.shape, x.dtype);
  for (let i = 0; i < idx!.length; i++) indices.data[i] = idx![i]!;
  return { values, indices };
}

/**
 * {@link maxPool2d} with gradients off: nothing reads the indices, so the kernel computes none, and
 * the output (which the kernel overwrites entirely)
 * comes unzeroed from the inference buffer pool while a forward lends buffers.
 */
function maxPool2dInference(p: Pool2dParams, x: Tensor): Tensor {
  const n = p.batch * p.channels * p.outH * p.outW;
  const y = takeInferenceBuffer(x.dtype, n, false) ?? empty([n], x.dtype).data;
  kernels().maxPool2dForward(p, x.data, y, null);
  return new Tensor(y, [p.batch, p.channels, p.outH, p.outW]);
}

/**
 * 2-D average pooling over each channel of `x` [N, C, H, W] (PyTorch's `F.avg_pool2d`). Pass the
 * window size alone (`avgPool2d(x, 2)`) or options. The gradient spreads each output's gradient
 * evenly over the input elements of its window.
 */
export function avgPool2d(x: Tensor, opts: Pair | AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  const o: AvgPool2dOptions = isPair(opts) ? { kernelSize: opts } : opts;
  const override = o.divisorOverride;
  if (override !== undefined && (!Number.isInteger(override) || override === 0)) {
    throw new ValueError(
      op,
      `divisorOverride must be a non-zero integer; got ${JSON.stringify(override)}. Fix: pass e.g. 4, or omit it`,
    );
  }
  const countIncludePad = o.countIncludePad ?? o.padding !== 'same';
  // With a divisor override, average by the valid count and rescale by count / override.
  const window = { kernelSize: o.kernelSize, stride: o.stride, padding: o.padding, ceilMode: o.ceilMode };
  const p = poolParams(op, x, window, override === undefined ? countIncludePad : false);
  const scale = override === undefined ? null : validCountScale(p, override);
  const y = empty([p.batch, p.channels, p.outH, p.outW], x.dtype);
  kernels().avgPool2dForward(p, x.data, y.data);
  if (scale) applyPlaneScale(y.data, scale);
  return record(
    op,
    [x],
    y,
    (g) => {
      let gy = g.data;
      if (scale) {
        gy = gy.slice();
        applyPlaneScale(gy, scale);
      }
      const dx = empty(x.shape, x.dtype);
      kernels().avgPool2dBackward(p, gy, dx.data);
      return [dx];
    },
    {
      ...windowAttrs(p),
      ceilMode: o.ceilMode ?? false,
      countIncludePad: p.countIncludePad,
      // 0: divide by the window (or the valid count), as PyTorch without an override.
      divisorOverride: override ?? 0,
    },
  );
}

/** A pooling window's resolved geometry as recorded attributes (ONNX's order for `pads`). */
function windowAttrs(p: Pool2dParams): Record<string, readonly number[]> {
  return {
    kernelShape: [p.kH, p.kW],
    strides: [p.strideH, p.strideW],
    pads: [p.padTop, p.padLeft, p.padBottom, p.padRight],
    dilations: [p.dilationH, p.dilationW],
  };
}

/** Per output position of one plane: (number of input elements the window covers) / divisor. */
function validCountScale(p: Pool2dParams, divisor: number): Float64Array {
  const count = (o: number, stride: number, pad: number, k: number, dil: number, n: number): number => {
    let c = 0;
    for (let t = 0; t < k; t++) {
      const i = o * stride - pad + t * dil;
      if (i >= 0 && i < n) c++;
    }
    return c;
  };
  const s = new Float64Array(p.outH * p.outW);
  for (let oy = 0; oy < p.outH; oy++) {
    const ny = count(oy, p.strideH, p.padTop, p.kH, p.dilationH, p.inH);
    for (let ox = 0; ox < p.outW; ox++) {
      s[oy * p.outW + ox] = (ny * count(ox, p.strideW, p.padLeft, p.kW, p.dilationW, p.inW)) / divisor;
    }
  }
  return s;
}

/** Multiply every [outH, outW] plane of `a` element-wise by `scale`. */
function applyPlaneScale(a: FloatArray, scale: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i]! *= scale[i % scale.length]!;
}
