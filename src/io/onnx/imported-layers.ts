import { Hardtanh, ReLU, ReLU6 } from '../../nn/activation-layers.js';
import type { Module } from '../../nn/module.js';
import { AvgPool2d } from '../../nn/pooling.js';
import { ZeroPad2d } from '../../nn/reshape-layers.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { OnnxAttrs } from './onnx-attributes.js';
import { intsOf } from './onnx-ops.js';

// ONNX operators that import as Stride's own layers where their attributes say exactly what the
// layer computes: AveragePool -> AvgPool2d, Pad (zeros, spatial) -> ZeroPad2d, Clip -> ReLU6 /
// ReLU / Hardtanh. Stride's layers take part in what the plain OnnxOp cannot: ReLU6 fuses into the
// convolution before it in eval mode under noGrad, and the layers save and export as themselves.

/** AveragePool on [N, C, H, W] as AvgPool2d, when Stride's pooling expresses its window. */
function averagePool(a: OnnxAttrs, rank: number | null): Module | null {
  if (rank !== 4) return null;
  const kernel = a.ints('kernel_shape');
  const autoPad = a.string('auto_pad', 'NOTSET');
  const p = a.ints('pads', [0, 0, 0, 0]);
  const strides = a.ints('strides', [1, 1]);
  const dilations = a.ints('dilations', [1, 1]);
  if (kernel.length !== 2 || strides.length !== 2 || p.length !== 4) return null;
  if ((autoPad !== 'NOTSET' && autoPad !== 'VALID') || dilations.some((d) => d !== 1)) return null;
  const [t, l, b, r] = autoPad === 'VALID' ? [0, 0, 0, 0] : (p as [number, number, number, number]);
  // Stride's (and PyTorch's) pooling pads at most half the window on each side.
  if (t > kernel[0]! / 2 || b > kernel[0]! / 2 || l > kernel[1]! / 2 || r > kernel[1]! / 2) return null;
  // ONNX's defaults: stride 1, floor mode, padding not counted.
  return new AvgPool2d(kernel as [number, number], {
    stride: strides as [number, number],
    padding: [t, b, l, r],
    ceilMode: a.int('ceil_mode', 0) === 1,
    countIncludePad: a.int('count_include_pad', 0) === 1,
  });
}

/** Pad with zeros of the two spatial axes of [N, C, H, W] as ZeroPad2d. */
function zeroPad(
  a: OnnxAttrs,
  opset: number,
  consts: readonly (Tensor | null)[],
  rank: number | null,
): Module | null {
  if (rank !== 4 || a.string('mode', 'constant') !== 'constant') return null;
  const pads = opset < 11 ? a.ints('pads') : consts[1] ? intsOf(consts[1]) : null;
  const value = opset < 11 ? a.float('value', 0) : consts[2] ? consts[2].data[0] : 0;
  // ONNX: [n, c, top, left] begins, then [n, c, bottom, right] ends.
  if (!pads || pads.length !== 8 || value !== 0 || (opset >= 18 && consts[3])) return null;
  const [n0, c0, t, l, n1, c1, b, r] = pads as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (n0 !== 0 || c0 !== 0 || n1 !== 0 || c1 !== 0 || [t, l, b, r].some((v) => v < 0)) return null;
  return new ZeroPad2d([l, r, t, b]);
}

/** Clip with constant bounds as ReLU6 (0, 6), ReLU (0, none) or Hardtanh (both bounds). */
function clip(a: OnnxAttrs, opset: number, consts: readonly (Tensor | null)[]): Module | null {
  const bound = (attr: string, i: number): number | undefined | null => {
    if (opset < 11) return a.has(attr) ? a.float(attr) : undefined;
    const t = consts[i];
    return t ? (t.size === 1 ? t.data[0]! : null) : undefined;
  };
  const lo = bound('min', 1);
  const hi = bound('max', 2);
  if (lo === null || hi === null) return null;
  if (lo === 0 && hi === 6) return new ReLU6();
  if (lo === 0 && hi === undefined) return new ReLU();
  if (lo !== undefined && hi !== undefined && lo <= hi) return new Hardtanh(lo, hi);
  return null;
}

/**
 * The Stride layer that computes an AveragePool, Pad or Clip node exactly, or null (the node then
 * runs as an OnnxOp). `dynamic` lists the inputs computed at run time; the others are `consts`.
 */
export function importedLayer(
  op: string,
  a: OnnxAttrs,
  opset: number,
  consts: readonly (Tensor | null)[],
  dynamic: readonly number[],
  rank: number | null,
): Module | null {
  if (dynamic.length !== 1 || dynamic[0] !== 0) return null;
  switch (op) {
    case 'AveragePool':
      return averagePool(a, rank);
    case 'Pad':
      return zeroPad(a, opset, consts, rank);
    case 'Clip':
      return clip(a, opset, consts);
    default:
      return null;
  }
}
