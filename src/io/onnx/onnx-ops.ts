import { ValueError } from '../../errors.js';
import { batchNorm } from '../../ops/batch-norm.js';
import { conv2d } from '../../ops/conv2d.js';
import { conv2dTranspose } from '../../ops/conv2d-transpose.js';
import {
  abs,
  add,
  clamp,
  div,
  exp,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sqrt,
  square,
  sub,
  unaryRaw,
} from '../../ops/elementwise.js';
import { record } from '../../autograd/grad-fn.js';
import { instanceNorm } from '../../ops/instance-norm.js';
import { localResponseNorm } from '../../ops/local-response-norm.js';
import { matmul } from '../../ops/matmul.js';
import { avgPool2d, maxPool2d } from '../../ops/pool2d.js';
import { max, mean, min, sum } from '../../ops/reduce.js';
import { maxUnpool2d } from '../../ops/max-unpool.js';
import { concat, expand, pad, permute, reshape, slice, transpose } from '../../ops/shape-ops.js';
import { logSoftmax, softmax } from '../../ops/softmax.js';
import { Tensor } from '../../tensor/tensor.js';
import { ACTIVATION_ONNX_OPS, activationRowsForOnnx, onnxActivationLayer } from '../catalog/activations.js';
import type { OnnxAttrs } from './onnx-attributes.js';
import { onnxResize, type OnnxResizeMode } from './onnx-resize.js';
import { resampleAxis } from './resample-axis.js';

/**
 * One ONNX operator on Stride tensors: inputs in ONNX order (null for an omitted optional input),
 * the node's attributes and the model's opset version; returns the outputs. Every kernel is built
 * from differentiable Stride ops (or, for shape arithmetic, computes plain values), so an imported
 * graph can be fine-tuned.
 */
export type OnnxKernel = (inputs: readonly (Tensor | null)[], a: OnnxAttrs, opset: number) => Tensor[];

function fail(op: string, problem: string): never {
  throw new ValueError(`onnx.${op}`, problem);
}

function req(op: string, inputs: readonly (Tensor | null)[], i: number): Tensor {
  return inputs[i] ?? fail(op, `input ${i} is required`);
}

/** The values of a (small, integer) tensor as numbers. */
export function intsOf(t: Tensor): number[] {
  return Array.from(t.data, (v) => Math.trunc(v));
}

/** A float32 tensor holding `values`. */
export function vector(values: readonly number[], shape: readonly number[] = [values.length]): Tensor {
  return new Tensor(Float32Array.from(values), shape);
}

function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(op, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

/** A same-rank broadcastable view of a per-channel vector for [N, C, ...] inputs. */
function channelView(v: Tensor, rank: number): Tensor {
  return v.reshape([1, v.size, ...new Array<number>(rank - 2).fill(1)]);
}

// ---- windows: Conv, ConvTranspose, pooling (1-D through a unit height, and 2-D) ----

interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] (ONNX order: begins, then ends). */
  pads: [number, number, number, number];
}

/** Lift a 1-D window op ([N, C, L]) to 2-D ([N, C, 1, L]); 2-D passes through. */
function lift(op: string, x: Tensor): { x4: Tensor; oneD: boolean } {
  if (x.ndim === 4) return { x4: x, oneD: false };
  if (x.ndim === 3) return { x4: x.unsqueeze(2), oneD: true };
  return fail(op, `only 1-D and 2-D inputs ([N, C, L] or [N, C, H, W]) are supported, got rank ${x.ndim}`);
}

function two(op: string, name: string, v: number[], oneD: boolean, def: number): [number, number] {
  if (v.length === 0) return [def, def];
  if (oneD) {
    if (v.length !== 1) fail(op, `attribute '${name}' needs 1 value for a 1-D input, got ${v.length}`);
    return [def === 0 ? 0 : 1, v[0]!];
  }
  if (v.length !== 2) fail(op, `attribute '${name}' needs 2 values for a 2-D input, got ${v.length}`);
  return [v[0]!, v[1]!];
}

function windowOf(op: string, a: OnnxAttrs, x4: Tensor, oneD: boolean, kernelFallback: number[]): Window {
  const kernel = two(op, 'kernel_shape', a.ints('kernel_shape', kernelFallback), oneD, 1);
  if (oneD) kernel[0] = 1;
  const strides = two(op, 'strides', a.ints('strides', []), oneD, 1);
  const dilations = two(op, 'dilations', a.ints('dilations', []), oneD, 1);
  const autoPad = a.string('auto_pad', 'NOTSET');
  let pads: [number, number, number, number] = [0, 0, 0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const total = [0, 1].map((i) => {
      const n = x4.shape[2 + i]!;
      const out = Math.ceil(n / strides[i]!);
      return Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - n);
    });
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t, i) => t - small[i]!);
    pads =
      autoPad === 'SAME_UPPER'
        ? [small[0]!, small[1]!, big[0]!, big[1]!]
        : [big[0]!, big[1]!, small[0]!, small[1]!];
  } else if (autoPad === 'NOTSET') {
    const p = a.ints('pads', []);
    if (p.length === 0) pads = [0, 0, 0, 0];
    else if (oneD && p.length === 2) pads = [0, p[0]!, 0, p[1]!];
    else if (!oneD && p.length === 4) pads = [p[0]!, p[1]!, p[2]!, p[3]!];
    else fail(op, `attribute 'pads' has ${p.length} values for a ${oneD ? 1 : 2}-D input`);
  } else if (autoPad !== 'VALID') {
    fail(op, `auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got ${JSON.stringify(autoPad)}`);
  }
  return { kernel, strides, dilations, pads };
}

function unlift(y: Tensor, oneD: boolean): Tensor {
  return oneD ? y.squeeze(2) : y;
}

const Conv: OnnxKernel = (inputs, a) => {
  const { x4, oneD } = lift('Conv', req('Conv', inputs, 0));
  const w0 = req('Conv', inputs, 1);
  const w = oneD ? w0.unsqueeze(2) : w0;
  const win = windowOf('Conv', a, x4, oneD, w0.shape.slice(2));
  const [t, l, b, r] = win.pads;
  const y = conv2d(x4, w, inputs[2] ?? null, {
    stride: win.strides,
    padding: [t, b, l, r],
    dilation: win.dilations,
    groups: a.int('group', 1),
  });
  return [unlift(y, oneD)];
};

const ConvTranspose: OnnxKernel = (inputs, a) => {
  const op = 'ConvTranspose';
  const { x4, oneD } = lift(op, req(op, inputs, 0));
  const w0 = req(op, inputs, 1);
  const w = oneD ? w0.unsqueeze(2) : w0;
  const kernel = two(op, 'kernel_shape', a.ints('kernel_shape', w0.shape.slice(2)), oneD, 1);
  if (oneD) kernel[0] = 1;
  const strides = two(op, 'strides', a.ints('strides', []), oneD, 1);
  const dilations = two(op, 'dilations', a.ints('dilations', []), oneD, 1);
  const outPad = two(op, 'output_padding', a.ints('output_padding', []), oneD, 0);
  const autoPad = a.string('auto_pad', 'NOTSET');
  const group = a.int('group', 1);
  const full = [0, 1].map((i) => (x4.shape[2 + i]! - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1);
  let begin = [0, 0];
  let end = [0, 0];
  const outputShape = a.ints('output_shape', []);
  if (outputShape.length > 0 || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const wanted =
      outputShape.length > 0
        ? two(op, 'output_shape', outputShape.slice(-(oneD ? 1 : 2)), oneD, 1)
        : [x4.shape[2]! * strides[0]!, x4.shape[3]! * strides[1]!];
    const total = [0, 1].map((i) => full[i]! + outPad[i]! - wanted[i]!);
    const half = total.map((v) => Math.floor(v / 2));
    if (autoPad === 'SAME_UPPER') {
      begin = half;
      end = total.map((v, i) => v - half[i]!);
    } else {
      begin = total.map((v, i) => v - half[i]!);
      end = half;
    }
  } else if (autoPad === 'NOTSET') {
    const p = a.ints('pads', []);
    if (p.length > 0) {
      if (oneD && p.length === 2)
        [begin, end] = [
          [0, p[0]!],
          [0, p[1]!],
        ];
      else if (!oneD && p.length === 4)
        [begin, end] = [
          [p[0]!, p[1]!],
          [p[2]!, p[3]!],
        ];
      else fail(op, `attribute 'pads' has ${p.length} values`);
    }
  } else if (autoPad !== 'VALID') {
    fail(op, `auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got ${JSON.stringify(autoPad)}`);
  }
  let y = conv2dTranspose(x4, w, null, { stride: strides, padding: 0, dilation: dilations, groups: group });
  // Output padding extends the bottom/right; pads then crop (negative amounts in `pad`).
  y = pad(y, [-begin[1]!, outPad[1]! - end[1]!, -begin[0]!, outPad[0]! - end[0]!]);
  const bias = inputs[2];
  if (bias) y = add(y, channelView(bias, 4));
  return [unlift(y, oneD)];
};

const MaxPool: OnnxKernel = (inputs, a) => {
  const op = 'MaxPool';
  const { x4, oneD } = lift(op, req(op, inputs, 0));
  const win = windowOf(op, a, x4, oneD, []);
  if (a.int('storage_order', 0) !== 0) fail(op, 'storage_order 1 (column-major indices) is not supported');
  const ceilMode = a.int('ceil_mode', 0) === 1;
  const [t, l, b, r] = win.pads;
  const fits =
    t <= win.kernel[0] / 2 && b <= win.kernel[0] / 2 && l <= win.kernel[1] / 2 && r <= win.kernel[1] / 2;
  let y: Tensor;
  if (fits || ceilMode) {
    y = maxPool2d(x4, {
      kernelSize: win.kernel,
      stride: win.strides,
      padding: [t, b, l, r],
      dilation: win.dilations,
      ceilMode,
    });
  } else {
    // Padding wider than half the window: pad with -Infinity, which never wins a max.
    y = maxPool2d(pad(x4, [l, r, t, b], -Infinity), {
      kernelSize: win.kernel,
      stride: win.strides,
      dilation: win.dilations,
    });
  }
  return [unlift(y, oneD)];
};

const AveragePool: OnnxKernel = (inputs, a) => {
  const op = 'AveragePool';
  const { x4, oneD } = lift(op, req(op, inputs, 0));
  const win = windowOf(op, a, x4, oneD, []);
  const ceilMode = a.int('ceil_mode', 0) === 1;
  const countIncludePad = a.int('count_include_pad', 0) === 1;
  const [t, l, b, r] = win.pads;
  const fits =
    t <= win.kernel[0] / 2 && b <= win.kernel[0] / 2 && l <= win.kernel[1] / 2 && r <= win.kernel[1] / 2;
  if (win.dilations[0] !== 1 || win.dilations[1] !== 1) fail(op, 'dilations are not supported');
  let y: Tensor;
  if (fits || ceilMode) {
    y = avgPool2d(x4, {
      kernelSize: win.kernel,
      stride: win.strides,
      padding: [t, b, l, r],
      ceilMode,
      countIncludePad,
    });
  } else {
    // Padding wider than half the window: pool the zero-padded input, and without count_include_pad
    // divide by the share of each window that lies inside the input.
    const window = { kernelSize: win.kernel, stride: win.strides };
    y = avgPool2d(pad(x4, [l, r, t, b]), window);
    if (!countIncludePad) {
      const inside = new Tensor(new Float32Array(x4.shape[2]! * x4.shape[3]!).fill(1), [
        1,
        1,
        x4.shape[2]!,
        x4.shape[3]!,
      ]);
      y = div(y, avgPool2d(pad(inside, [l, r, t, b]), window));
    }
  }
  return [unlift(y, oneD)];
};

const GlobalAveragePool: OnnxKernel = (inputs) => {
  const x = req('GlobalAveragePool', inputs, 0);
  return [
    mean(
      x,
      Array.from({ length: x.ndim - 2 }, (_, i) => i + 2),
      true,
    ),
  ];
};

const GlobalMaxPool: OnnxKernel = (inputs) => {
  const x = req('GlobalMaxPool', inputs, 0);
  return [
    max(
      x,
      Array.from({ length: x.ndim - 2 }, (_, i) => i + 2),
      true,
    ),
  ];
};

const BatchNormalization: OnnxKernel = (inputs, a) => {
  const op = 'BatchNormalization';
  if (a.int('training_mode', 0) === 1)
    fail(op, 'training_mode 1 is not supported; export the model in evaluation mode');
  const [x, scale, bias, m, v] = [0, 1, 2, 3, 4].map((i) => req(op, inputs, i));
  return [batchNorm(x!, m!, v!, scale!, bias!, { training: false, eps: a.float('epsilon', 1e-5) })];
};

// ---- element-wise ----

function unary(f: (x: Tensor) => Tensor): OnnxKernel {
  return (inputs) => [f(req('unary', inputs, 0))];
}

function binary(f: (x: Tensor, y: Tensor) => Tensor): OnnxKernel {
  return (inputs) => [f(req('binary', inputs, 0), req('binary', inputs, 1))];
}

function variadic(
  op: string,
  f: (x: Tensor, y: Tensor) => Tensor,
  finish?: (t: Tensor, n: number) => Tensor,
): OnnxKernel {
  return (inputs) => {
    const xs = inputs.filter((t): t is Tensor => t !== null);
    if (xs.length === 0) fail(op, 'needs at least one input');
    let y = xs[0]!;
    for (let i = 1; i < xs.length; i++) y = f(y, xs[i]!);
    return [finish ? finish(y, xs.length) : y];
  };
}

const Clip: OnnxKernel = (inputs, a, opset) => {
  const x = req('Clip', inputs, 0);
  let lo: number | undefined;
  let hi: number | undefined;
  if (opset < 11) {
    lo = a.has('min') ? a.float('min') : undefined;
    hi = a.has('max') ? a.float('max') : undefined;
  } else {
    lo = inputs[1] ? inputs[1].data[0] : undefined;
    hi = inputs[2] ? inputs[2].data[0] : undefined;
  }
  return [clamp(x, lo, hi)];
};

/**
 * An activation operator: the layer its catalog row builds for the node's attributes, or `general`
 * for attributes no layer expresses (ONNX's wider HardSigmoid and Selu, Softmax before opset 13).
 */
function activationKernel(op: string, general?: OnnxKernel): OnnxKernel {
  if (activationRowsForOnnx(op).length === 0) fail(op, 'no activation in the catalog imports it');
  return (inputs, a, opset) => {
    const layer = onnxActivationLayer(op, a, opset);
    if (layer) return [layer.forward(req(op, inputs, 0))];
    return general ? general(inputs, a, opset) : fail(op, 'its attributes have no Stride layer');
  };
}

function softmaxLike(op: string, f: (x: Tensor, dim: number) => Tensor): OnnxKernel {
  return (inputs, a, opset) => {
    const x = req(op, inputs, 0);
    if (opset >= 13) return [f(x, normAxis(op, a.int('axis', -1), x.ndim))];
    // Before opset 13: coerce to 2-D [prod(dims < axis), prod(dims >= axis)] and normalize rows.
    const axis = normAxis(op, a.int('axis', 1), x.ndim);
    const rows = product(x.shape.slice(0, axis));
    return [f(x.reshape([rows, x.size / Math.max(rows, 1)]), 1).reshape([...x.shape])];
  };
}

const Gemm: OnnxKernel = (inputs, a) => {
  let A = req('Gemm', inputs, 0);
  let B = req('Gemm', inputs, 1);
  if (a.int('transA', 0)) A = transpose(A, 0, 1);
  if (a.int('transB', 0)) B = transpose(B, 0, 1);
  let y = matmul(A, B);
  const alpha = a.float('alpha', 1);
  if (alpha !== 1) y = mul(y, alpha);
  const C = inputs[2];
  if (C) {
    const beta = a.float('beta', 1);
    y = add(y, beta === 1 ? C : mul(C, beta));
  }
  return [y];
};

// ---- shapes ----

const Reshape: OnnxKernel = (inputs, a, opset) => {
  const x = req('Reshape', inputs, 0);
  const target = intsOf(req('Reshape', inputs, 1));
  const allowZero = opset >= 14 && a.int('allowzero', 0) === 1;
  const shape = target.map((d, i) =>
    d === 0 && !allowZero
      ? (x.shape[i] ?? fail('Reshape', `shape copies dimension ${i}, which the input lacks`))
      : d,
  );
  return [reshape(x, shape)];
};

const Flatten: OnnxKernel = (inputs, a) => {
  const x = req('Flatten', inputs, 0);
  let axis = a.int('axis', 1);
  if (axis < 0) axis += x.ndim;
  if (axis < 0 || axis > x.ndim)
    fail('Flatten', `axis ${a.int('axis', 1)} is out of range for rank ${x.ndim}`);
  const rows = product(x.shape.slice(0, axis));
  return [reshape(x, [rows, product(x.shape.slice(axis))])];
};

const Transpose: OnnxKernel = (inputs, a) => {
  const x = req('Transpose', inputs, 0);
  const perm = a.ints(
    'perm',
    Array.from({ length: x.ndim }, (_, i) => x.ndim - 1 - i),
  );
  return [permute(x, perm)];
};

function axesOf(
  inputs: readonly (Tensor | null)[],
  a: OnnxAttrs,
  opset: number,
  fromInputAt: number,
): number[] | null {
  if (opset >= 13 && inputs[fromInputAt]) return intsOf(inputs[fromInputAt]!);
  if (opset < 13 && a.has('axes')) return a.ints('axes');
  return null;
}

const Unsqueeze: OnnxKernel = (inputs, a, opset) => {
  const x = req('Unsqueeze', inputs, 0);
  const axes = axesOf(inputs, a, opset, 1) ?? fail('Unsqueeze', 'axes are required');
  const rank = x.ndim + axes.length;
  const norm = axes.map((ax) => normAxis('Unsqueeze', ax, rank)).sort((p, q) => p - q);
  const shape = [...x.shape];
  for (const ax of norm) shape.splice(ax, 0, 1);
  return [reshape(x, shape)];
};

const Squeeze: OnnxKernel = (inputs, a, opset) => {
  const x = req('Squeeze', inputs, 0);
  const axes = axesOf(inputs, a, opset, 1);
  const drop = new Set(
    (axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((ax) => normAxis('Squeeze', ax, x.ndim)),
  );
  for (const ax of drop)
    if (x.shape[ax] !== 1) fail('Squeeze', `dimension ${ax} has size ${x.shape[ax]}, not 1`);
  return [
    reshape(
      x,
      x.shape.filter((_, i) => !drop.has(i)),
    ),
  ];
};

const Concat: OnnxKernel = (inputs, a) => {
  const xs = inputs.filter((t): t is Tensor => t !== null);
  if (xs.length === 0) fail('Concat', 'needs at least one input');
  return [concat(xs, normAxis('Concat', a.int('axis'), xs[0]!.ndim))];
};

const Shape: OnnxKernel = (inputs, a) => {
  const x = req('Shape', inputs, 0);
  const r = x.ndim;
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clampIdx(a.int('start', 0));
  const end = clampIdx(a.has('end') ? a.int('end') : r);
  return [vector(x.shape.slice(start, Math.max(start, end)))];
};

const Gather: OnnxKernel = (inputs, a) => {
  const x = req('Gather', inputs, 0);
  const idx = req('Gather', inputs, 1);
  const axis = normAxis('Gather', a.int('axis', 0), x.ndim);
  const n = x.shape[axis]!;
  const pieces = intsOf(idx).map((i) => {
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) fail('Gather', `index ${i} is out of range for a dimension of ${n}`);
    return slice(x, axis, j, j + 1);
  });
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  if (pieces.length === 0) return [new Tensor(new Float32Array(0), shape)];
  return [reshape(concat(pieces, axis), shape)];
};

const Slice: OnnxKernel = (inputs, a, opset) => {
  const x = req('Slice', inputs, 0);
  let starts: number[];
  let ends: number[];
  let axes: number[] | null;
  let steps: number[] | null;
  if (opset < 10) {
    starts = a.ints('starts');
    ends = a.ints('ends');
    axes = a.has('axes') ? a.ints('axes') : null;
    steps = null;
  } else {
    starts = intsOf(req('Slice', inputs, 1));
    ends = intsOf(req('Slice', inputs, 2));
    axes = inputs[3] ? intsOf(inputs[3]) : null;
    steps = inputs[4] ? intsOf(inputs[4]) : null;
  }
  let y = x;
  starts.forEach((s, i) => {
    const axis = normAxis('Slice', axes ? axes[i]! : i, x.ndim);
    const step = steps ? steps[i]! : 1;
    if (step === 0) fail('Slice', 'steps must not be 0');
    const len = x.shape[axis]!;
    const wrap = (v: number) => (v < 0 ? v + len : v);
    if (step > 0) {
      const clampIdx = (v: number) => Math.min(Math.max(wrap(v), 0), len);
      y = slice(y, axis, clampIdx(s), Math.max(clampIdx(s), clampIdx(ends[i]!)), step);
      return;
    }
    // Negative steps walk down from start (clamped to [0, len-1]) to end (clamped to [-1, len-1]).
    const from = Math.min(Math.max(wrap(s), 0), len - 1);
    const to = Math.min(Math.max(wrap(ends[i]!), -1), len - 1);
    const picks: Tensor[] = [];
    for (let k = from; k > to; k += step) picks.push(slice(y, axis, k, k + 1));
    const shape = [...y.shape];
    shape[axis] = 0;
    y = picks.length > 0 ? concat(picks, axis) : new Tensor(new Float32Array(0), shape);
  });
  return [y];
};

const MaxUnpool: OnnxKernel = (inputs, a) => {
  const op = 'MaxUnpool';
  const x = req(op, inputs, 0);
  const flat = req(op, inputs, 1);
  if (x.ndim !== 4) fail(op, `only 2-D inputs [N, C, H, W] are supported, got rank ${x.ndim}`);
  const kernel = a.ints('kernel_shape');
  const strides = a.ints('strides', [1, 1]);
  const p = a.ints('pads', [0, 0, 0, 0]);
  // ONNX indices count over the whole default-size output [N, C, H0, W0]; a given output_shape
  // places each value at the same (row, column). Stride's count within each plane of the output.
  const h0 = (x.shape[2]! - 1) * strides[0]! + kernel[0]! - p[0]! - p[2]!;
  const w0 = (x.shape[3]! - 1) * strides[1]! + kernel[1]! - p[1]! - p[3]!;
  const given = inputs[2] ? intsOf(inputs[2]) : null;
  const outH = given ? given[2]! : h0;
  const outW = given ? given[3]! : w0;
  const plane = outH * outW;
  const local = Float32Array.from(flat.data, (v) => {
    const within = v % (h0 * w0);
    return Math.floor(within / w0) * outW + (within % w0);
  });
  const out = new Tensor(new Float32Array(x.shape[0]! * x.shape[1]! * plane), [
    x.shape[0]!,
    x.shape[1]!,
    outH,
    outW,
  ]);
  const y = maxUnpool2d(x, new Tensor(local, flat.shape), {
    kernelSize: kernel as [number, number],
    stride: strides as [number, number],
    outputSize: [outH, outW],
    padding: [Math.min(p[0]!, p[2]!), Math.min(p[1]!, p[3]!)],
  });
  return [add(out, y)];
};

const PRelu: OnnxKernel = (inputs) => {
  const x = req('PRelu', inputs, 0);
  let slope = req('PRelu', inputs, 1);
  // Files from before opset 7 give one slope per channel without trailing unit dimensions.
  if (slope.ndim === 1 && x.ndim > 2 && slope.size === x.shape[1] && slope.size !== x.shape[x.ndim - 1]) {
    slope = channelView(slope, x.ndim);
  }
  return [sub(relu(x), mul(slope, relu(neg(x))))];
};

const Split: OnnxKernel = (inputs, a, opset) => {
  const x = req('Split', inputs, 0);
  const axis = normAxis('Split', a.int('axis', 0), x.ndim);
  const len = x.shape[axis]!;
  let sizes: number[] | null =
    opset >= 13 ? (inputs[1] ? intsOf(inputs[1]) : null) : a.has('split') ? a.ints('split') : null;
  if (sizes === null) {
    const parts = a.int('num_outputs');
    const each = Math.ceil(len / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, len - i * each)));
  }
  if (sizes.reduce((p, q) => p + q, 0) !== len)
    fail('Split', `split sizes [${sizes.join(', ')}] do not add up to ${len}`);
  let start = 0;
  return sizes.map((n) => {
    const part = slice(x, axis, start, start + n);
    start += n;
    return part;
  });
};

const Tile: OnnxKernel = (inputs) => {
  let y = req('Tile', inputs, 0);
  intsOf(req('Tile', inputs, 1)).forEach((times, axis) => {
    if (times !== 1) y = concat(new Array<Tensor>(times).fill(y), axis);
  });
  return [y];
};

const InstanceNormalization: OnnxKernel = (inputs, a) => {
  const x = req('InstanceNormalization', inputs, 0);
  return [
    instanceNorm(x, {
      weight: req('InstanceNormalization', inputs, 1),
      bias: req('InstanceNormalization', inputs, 2),
      useInputStats: true,
      eps: a.float('epsilon', 1e-5),
    }),
  ];
};

const Expand: OnnxKernel = (inputs) => {
  const x = req('Expand', inputs, 0);
  const shape = intsOf(req('Expand', inputs, 1));
  const rank = Math.max(shape.length, x.ndim);
  const target = Array.from({ length: rank }, (_, i) => {
    const p = x.shape[i - (rank - x.ndim)] ?? 1;
    const q = shape[i - (rank - shape.length)] ?? 1;
    if (p !== q && p !== 1 && q !== 1)
      fail('Expand', `cannot broadcast [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
    return p === 1 ? q : p;
  });
  return [expand(x, target)];
};

/** Reflect (`reflect`, edge not repeated) or clamp (`edge`) an index into [0, len). */
function borderIndex(i: number, len: number, mode: 'reflect' | 'edge'): number {
  if (mode === 'edge' || len === 1) return Math.min(Math.max(i, 0), len - 1);
  const period = 2 * (len - 1);
  const m = ((i % period) + period) % period;
  return m < len ? m : period - m;
}

const Pad: OnnxKernel = (inputs, a, opset) => {
  const x = req('Pad', inputs, 0);
  const mode = a.string('mode', 'constant');
  const pads = opset < 11 ? a.ints('pads') : intsOf(req('Pad', inputs, 1));
  const value = opset < 11 ? a.float('value', 0) : inputs[2] ? inputs[2].data[0]! : 0;
  const r = x.ndim;
  if (pads.length !== 2 * r) fail('Pad', `pads needs ${2 * r} values for rank ${r}, got ${pads.length}`);
  if (mode === 'reflect' || mode === 'edge') {
    // Each padded axis is a gather of border positions: differentiable through resampleAxis.
    let y = x;
    for (let d = 0; d < r; d++) {
      const before = pads[d]!;
      const after = pads[d + r]!;
      if (before === 0 && after === 0) continue;
      const len = y.shape[d]!;
      if (mode === 'reflect' && (before >= len || after >= len))
        fail('Pad', `reflect padding must be smaller than the dimension (${len})`);
      const taps = Array.from({ length: len + before + after }, (_, j) => ({
        src: [borderIndex(j - before, len, mode)],
        weights: [1],
      }));
      y = resampleAxis(y, d, taps);
    }
    return [y];
  }
  if (mode !== 'constant') fail('Pad', `mode must be constant, reflect or edge, got '${mode}'`);
  // ONNX: [begin_0 .. begin_{r-1}, end_0 .. end_{r-1}]; Stride (PyTorch): (before, after) from the last dimension.
  const torchPads: number[] = [];
  for (let d = r - 1; d >= 0; d--) torchPads.push(pads[d]!, pads[d + r]!);
  return [pad(x, torchPads, value)];
};

const Resize: OnnxKernel = (inputs, a, opset) => {
  const x = req('Resize', inputs, 0);
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  let roi: number[] | null = null;
  if (opset < 11) {
    scales = Array.from(req('Resize', inputs, 1).data);
  } else {
    if (inputs[1] && inputs[1].size > 0) roi = Array.from(inputs[1].data);
    if (inputs[3] && inputs[3].size > 0) sizes = intsOf(inputs[3]);
    else if (inputs[2] && inputs[2].size > 0) scales = Array.from(inputs[2].data);
    else fail('Resize', 'needs scales or sizes');
  }
  const mode = a.string('mode', 'nearest') as OnnxResizeMode;
  return [
    onnxResize(x, { scales, sizes }, roi, {
      mode,
      coordinateTransformationMode:
        opset < 11 ? 'asymmetric' : a.string('coordinate_transformation_mode', 'half_pixel'),
      nearestMode: opset < 11 ? 'floor' : a.string('nearest_mode', 'round_prefer_floor'),
      cubicCoeffA: a.float('cubic_coeff_a', -0.75),
      excludeOutside: a.int('exclude_outside', 0) === 1,
      extrapolationValue: a.float('extrapolation_value', 0),
    }),
  ];
};

const Upsample: OnnxKernel = (inputs, a, opset) => {
  const x = req('Upsample', inputs, 0);
  const scales = opset < 9 ? a.floats('scales') : Array.from(req('Upsample', inputs, 1).data);
  const mode = a.string('mode', 'nearest');
  return [
    onnxResize(x, { scales }, null, {
      mode: mode === 'bilinear' ? 'linear' : (mode as OnnxResizeMode),
      coordinateTransformationMode: 'asymmetric',
      nearestMode: 'floor',
      cubicCoeffA: -0.75,
      excludeOutside: false,
      extrapolationValue: 0,
    }),
  ];
};

const Constant: OnnxKernel = (_inputs, a) => {
  const t = a.tensor('value');
  if (t) return [new Tensor(Float32Array.from(t.data), t.dims)];
  if (a.has('value_float')) return [vector([a.float('value_float')], [])];
  if (a.has('value_floats')) return [vector(a.floats('value_floats'))];
  if (a.has('value_int')) return [vector([a.int('value_int')], [])];
  if (a.has('value_ints')) return [vector(a.ints('value_ints'))];
  return fail('Constant', 'needs a value (value, value_float(s) or value_int(s))');
};

const ConstantOfShape: OnnxKernel = (inputs, a) => {
  const shape = intsOf(req('ConstantOfShape', inputs, 0));
  const t = a.tensor('value');
  const out = new Float32Array(product(shape));
  if (t && t.data.length > 0) out.fill(t.data[0]!);
  return [new Tensor(out, shape)];
};

/** `v` rounded to the nearest IEEE half-precision value (ties to even). */
function roundToHalf(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const mag = Math.abs(v);
  const e = Math.max(Math.floor(Math.log2(mag)), -14);
  const quantum = 2 ** (e - 10);
  const q = mag / quantum;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q)) === 0.5) r = 2 * Math.round(q / 2);
  const out = r * quantum;
  return Math.sign(v) * (out > 65504 ? Infinity : out);
}

/** `v` as bfloat16 by dropping the low 16 bits of its float32 form (what the ONNX reference does). */
function truncateToBfloat16(v: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, v);
  dv.setUint16(2, 0);
  return dv.getFloat32(0);
}

const Cast: OnnxKernel = (inputs, a) => {
  const x = req('Cast', inputs, 0);
  const to = a.int('to');
  if (to === 1 || to === 11) return [x];
  if (to === 10) return [new Tensor(Float32Array.from(x.data, roundToHalf), x.shape)];
  if (to === 16) return [new Tensor(Float32Array.from(x.data, truncateToBfloat16), x.shape)];
  // Integer and boolean targets: truncate toward zero (booleans: nonzero -> 1), as a constant.
  const bool = to === 9;
  return [
    new Tensor(
      Float32Array.from(x.data, (v) => (bool ? (v !== 0 ? 1 : 0) : Math.trunc(v))),
      x.shape,
    ),
  ];
};

function reduce(
  op: string,
  f: (x: Tensor, axes: number[], keep: boolean) => Tensor,
  axesInputSince: number,
): OnnxKernel {
  return (inputs, a, opset) => {
    const x = req(op, inputs, 0);
    const fromInput = opset >= axesInputSince;
    let axes = fromInput ? (inputs[1] ? intsOf(inputs[1]) : null) : a.has('axes') ? a.ints('axes') : null;
    if (axes === null || axes.length === 0) {
      if (fromInput && a.int('noop_with_empty_axes', 0) === 1) return [x];
      axes = x.shape.map((_, i) => i);
    }
    return [
      f(
        x,
        axes.map((ax) => normAxis(op, ax, x.ndim)),
        a.int('keepdims', 1) === 1,
      ),
    ];
  };
}

const Erf: OnnxKernel = (inputs) => {
  const x = req('Erf', inputs, 0);
  const y = unaryRaw('erf', x);
  // d/dx erf(x) = 2/sqrt(pi) * exp(-x^2)
  return [record('erf', [x], y, (g) => [mul(g, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)))])];
};

const LRN: OnnxKernel = (inputs, a) => [
  localResponseNorm(req('LRN', inputs, 0), a.int('size'), {
    alpha: a.float('alpha', 1e-4),
    beta: a.float('beta', 0.75),
    k: a.float('bias', 1),
  }),
];

const identity: OnnxKernel = (inputs) => [req('Identity', inputs, 0)];

/** The ONNX operators Stride runs, by op_type (default domain). */
export const ONNX_KERNELS: Readonly<Record<string, OnnxKernel>> = {
  Conv,
  ConvTranspose,
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  GlobalMaxPool,
  BatchNormalization,
  // Activations run as their catalog rows' layers; the entries after this add ONNX's wider forms.
  ...Object.fromEntries(ACTIVATION_ONNX_OPS.map((op) => [op, activationKernel(op)])),
  Selu: activationKernel('Selu', (inputs, a) => {
    // Other constants than SELU's: gamma · (relu(x) + alpha · (e^min(x, 0) - 1)).
    const x = req('Selu', inputs, 0);
    const alpha = a.float('alpha', 1.6732632423543772);
    const gamma = a.float('gamma', 1.0507009873554805);
    return [mul(gamma, add(relu(x), mul(alpha, sub(exp(neg(relu(neg(x)))), 1))))];
  }),
  HardSigmoid: activationKernel('HardSigmoid', (inputs, a) => {
    // ONNX's general form clip(alpha·x + beta, 0, 1).
    const x = req('HardSigmoid', inputs, 0);
    return [clamp(add(mul(x, a.float('alpha', 0.2)), a.float('beta', 0.5)), 0, 1)];
  }),
  Softmax: activationKernel('Softmax', softmaxLike('Softmax', softmax)),
  LogSoftmax: activationKernel('LogSoftmax', softmaxLike('LogSoftmax', logSoftmax)),
  Clip,
  Exp: unary(exp),
  Log: unary(log),
  Sqrt: unary(sqrt),
  Abs: unary(abs),
  Neg: unary(neg),
  Reciprocal: unary((x) => div(1, x)),
  Gemm,
  MatMul: binary(matmul),
  Add: binary(add),
  Sub: binary(sub),
  Mul: binary(mul),
  Div: binary(div),
  Pow: binary(pow),
  Sum: variadic('Sum', add),
  Mean: variadic('Mean', add, (t, n) => div(t, n)),
  Max: variadic('Max', maximum),
  Min: variadic('Min', minimum),
  Concat,
  Reshape,
  Flatten,
  Transpose,
  Squeeze,
  Unsqueeze,
  Pad,
  Resize,
  Upsample,
  Dropout: identity,
  Identity: identity,
  Constant,
  ConstantOfShape,
  Shape,
  Gather,
  Slice,
  Cast,
  ReduceMean: reduce('ReduceMean', mean, 18),
  ReduceSum: reduce('ReduceSum', sum, 13),
  ReduceMax: reduce('ReduceMax', max, 18),
  ReduceMin: reduce('ReduceMin', min, 18),
  ReduceSumSquare: reduce('ReduceSumSquare', (x, axes, keep) => sum(square(x), axes, keep), 18),
  MaxUnpool,
  Expand,
  PRelu,
  Split,
  Tile,
  InstanceNormalization,
  Erf,
  LRN,
};

/** Operators whose every output Stride computes (others give their first output only). */
export const MULTI_OUTPUT_OPS: ReadonlySet<string> = new Set(['Split']);

/** Whether Stride can run the operator (default ONNX domain). */
export function isSupportedOnnxOp(opType: string, domain = ''): boolean {
  return (domain === '' || domain === 'ai.onnx') && Object.hasOwn(ONNX_KERNELS, opType);
}
