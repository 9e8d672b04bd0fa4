import type { Conv2dParams, ConvEpilogue } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';

/** A convolution case of the native tests: sizes, kernel, stride, padding, dilation, groups. */
export interface Geometry {
  batch: number;
  c: number;
  o: number;
  h: number;
  w: number;
  k: [number, number];
  stride?: [number, number];
  /** [top, bottom, left, right] */
  pad?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
}

/** The resolved kernel parameters of a geometry. */
export function params(g: Geometry): Conv2dParams {
  const [sh, sw] = g.stride ?? [1, 1];
  const [pt, pb, pl, pr] = g.pad ?? [0, 0, 0, 0];
  const [dh, dw] = g.dilation ?? [1, 1];
  const outH = Math.floor((g.h + pt + pb - dh * (g.k[0] - 1) - 1) / sh) + 1;
  const outW = Math.floor((g.w + pl + pr - dw * (g.k[1] - 1) - 1) / sw) + 1;
  return {
    batch: g.batch,
    inChannels: g.c,
    inH: g.h,
    inW: g.w,
    outChannels: g.o,
    kH: g.k[0],
    kW: g.k[1],
    strideH: sh,
    strideW: sw,
    padTop: pt,
    padLeft: pl,
    dilationH: dh,
    dilationW: dw,
    groups: g.groups ?? 1,
    outH,
    outW,
  };
}

/**
 * Geometries covering every native convolution path (pointwise, strided, padded, dilated, groups,
 * depthwise, several K blocks and row panels, the indirect grid tiling).
 */
export const GEOMETRIES: [string, Geometry][] = [
  ['1x1 pointwise', { batch: 2, c: 5, o: 7, h: 6, w: 9, k: [1, 1] }],
  ['1x1 on a 1x1 image', { batch: 3, c: 4, o: 3, h: 1, w: 1, k: [1, 1] }],
  ['3x3 same padding', { batch: 2, c: 3, o: 4, h: 8, w: 7, k: [3, 3], pad: [1, 1, 1, 1] }],
  ['3x3 stride 2', { batch: 1, c: 4, o: 6, h: 9, w: 10, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] }],
  ['stride larger than the kernel', { batch: 2, c: 3, o: 2, h: 10, w: 11, k: [2, 1], stride: [3, 4] }],
  // Few input channels at stride 2 with a large kernel run as stride-1 convolutions over the
  // input's 2x2 phases (the indirect path, AVX-512).
  [
    '7x7 stride 2 stem (input phases)',
    { batch: 2, c: 3, o: 16, h: 21, w: 18, k: [7, 7], stride: [2, 2], pad: [3, 3, 3, 3] },
  ],
  [
    '7x7 stride 2, asymmetric padding (input phases)',
    { batch: 1, c: 2, o: 8, h: 15, w: 13, k: [7, 7], stride: [2, 2], pad: [3, 2, 1, 3] },
  ],
  ['1x1 stride 2 (downsample)', { batch: 2, c: 6, o: 5, h: 7, w: 8, k: [1, 1], stride: [2, 2] }],
  // Strided convolutions with enough output channels read the phase planes through a table of the
  // kernel's real taps (the indirect path, AVX-512), by rows or by grid; stride 3 and kernels
  // narrower than the stride on one axis build their phases without the stride-2 vector copy.
  [
    '3x3 stride 2 downsample, odd sizes (input phases, rows)',
    { batch: 3, c: 5, o: 40, h: 7, w: 62, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  ],
  [
    '3x3 stride 2, several K blocks (input phases, grid)',
    { batch: 1, c: 64, o: 40, h: 13, w: 11, k: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] },
  ],
  ['1x1 stride 2, one phase (grid)', { batch: 3, c: 12, o: 40, h: 15, w: 16, k: [1, 1], stride: [2, 2] }],
  ['1x1 stride 2, one phase (rows)', { batch: 1, c: 7, o: 40, h: 9, w: 61, k: [1, 1], stride: [2, 2] }],
  [
    '5x5 stride 3 (input phases)',
    { batch: 2, c: 4, o: 40, h: 17, w: 19, k: [5, 5], stride: [3, 3], pad: [2, 2, 2, 2] },
  ],
  [
    '1x3 stride 2 (one row phase, two column phases)',
    { batch: 1, c: 5, o: 40, h: 10, w: 23, k: [1, 3], stride: [2, 2], pad: [0, 0, 1, 1] },
  ],
  ['asymmetric padding', { batch: 1, c: 2, o: 3, h: 6, w: 7, k: [3, 2], pad: [0, 2, 1, 0] }],
  ['padding larger than half the kernel', { batch: 1, c: 2, o: 2, h: 5, w: 4, k: [2, 2], pad: [3, 3, 2, 2] }],
  ['dilation 2', { batch: 2, c: 3, o: 4, h: 9, w: 9, k: [3, 3], pad: [2, 2, 2, 2], dilation: [2, 2] }],
  [
    'mixed dilation and stride',
    { batch: 1, c: 2, o: 3, h: 11, w: 8, k: [2, 3], stride: [2, 1], dilation: [3, 2] },
  ],
  ['groups 2', { batch: 2, c: 4, o: 6, h: 6, w: 6, k: [3, 3], pad: [1, 1, 1, 1], groups: 2 }],
  [
    'depthwise (groups = channels)',
    { batch: 2, c: 5, o: 5, h: 7, w: 6, k: [3, 3], pad: [1, 1, 1, 1], groups: 5 },
  ],
  [
    'depthwise, stride 2 and dilation',
    {
      batch: 1,
      c: 3,
      o: 3,
      h: 9,
      w: 10,
      k: [3, 3],
      stride: [2, 2],
      pad: [2, 1, 2, 1],
      dilation: [2, 2],
      groups: 3,
    },
  ],
  [
    'depthwise with a channel multiplier',
    { batch: 1, c: 3, o: 6, h: 5, w: 5, k: [3, 3], pad: [1, 1, 1, 1], groups: 3 },
  ],
  ['kernel as large as the input', { batch: 2, c: 3, o: 4, h: 5, w: 5, k: [5, 5] }],
  ['large K (several K blocks)', { batch: 1, c: 48, o: 20, h: 6, w: 6, k: [3, 3], pad: [1, 1, 1, 1] }],
  ['many output channels, odd image', { batch: 3, c: 3, o: 40, h: 13, w: 11, k: [5, 5], pad: [2, 2, 2, 2] }],
  ['wide image (many column panels)', { batch: 1, c: 2, o: 3, h: 4, w: 300, k: [3, 3], pad: [1, 1, 1, 1] }],
  [
    'several K blocks and row panels, rows wider than a tile',
    { batch: 2, c: 48, o: 30, h: 5, w: 40, k: [3, 3], pad: [1, 1, 1, 1] },
  ],
  // Small stride-1 outputs with enough output channels take the indirect path's grid tiling (tiles
  // run across output rows extended to the padded width; the extra pixels are dropped).
  ['grid tiling: 8x8, 5x5 kernel', { batch: 3, c: 20, o: 20, h: 8, w: 8, k: [5, 5], pad: [2, 2, 2, 2] }],
  [
    'grid tiling: odd 7x5 output, several K blocks, 2 row panels',
    { batch: 2, c: 50, o: 26, h: 7, w: 5, k: [3, 3], pad: [1, 1, 1, 1] },
  ],
  [
    'grid tiling: dilated, asymmetric padding, groups 2',
    { batch: 2, c: 8, o: 48, h: 9, w: 6, k: [3, 2], pad: [2, 0, 1, 2], dilation: [2, 2], groups: 2 },
  ],
  ['grid tiling: output of one pixel', { batch: 2, c: 6, o: 40, h: 3, w: 3, k: [3, 3] }],
  [
    'stride along H only, dilated',
    { batch: 2, c: 5, o: 7, h: 13, w: 20, k: [3, 3], stride: [2, 1], dilation: [2, 2], pad: [2, 1, 3, 0] },
  ],
];

/** The forward convolution (+ bias) in float64 on the reference backend: the truth the float32 kernels are held to. */
export function convForwardReference(
  p: Conv2dParams,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
): Float64Array {
  const y = new Float64Array(p.batch * p.outChannels * p.outH * p.outW);
  referenceBackend.conv2dForward(
    p,
    Float64Array.from(x),
    Float64Array.from(w),
    bias && Float64Array.from(bias),
    y,
  );
  return y;
}

/**
 * The float64 truth of a convolution with an epilogue: {@link convForwardReference}, then
 * + residual and the ReLU/ReLU6 clamp in float64.
 */
export function convEpilogueReference(
  p: Conv2dParams,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  e: ConvEpilogue,
) {
  const y = convForwardReference(p, x, w, bias);
  for (let i = 0; i < y.length; i++) {
    const v = y[i]! + (e.residual ? e.residual[i]! : 0);
    y[i] = e.activation ? Math.min(Math.max(v, 0), e.activation === 'relu6' ? 6 : Infinity) : v;
  }
  return y;
}
