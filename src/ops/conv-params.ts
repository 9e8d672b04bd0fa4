import type { Conv2dParams } from '../backend/backend.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkWindowFits,
  effectiveKernel,
  pair,
  resolvePadding,
  unreadInput,
  windowOutputSize,
  type Padding2d,
  type Pads,
  type Pair,
} from './geometry.js';

/*
 * Argument resolution shared by `conv2d` and `conv2dTranspose`: validation of shapes and options,
 * padding, output sizes, and the Conv2dParams the kernels receive. The shape helpers exported from
 * here let users and inspection tools ask for output shapes without running the op.
 */

/** Options of `conv2d` (PyTorch's `F.conv2d`, with TensorFlow's `'same'` rule). */
export interface Conv2dOptions {
  /** Step of the window: a number or [h, w] (default 1). */
  stride?: Pair;
  /**
   * Zero padding: a number, [h, w], [top, bottom, left, right], `'valid'` (none) or `'same'`
   * (TensorFlow's rule: output = ceil(input / stride), the extra row/column at the bottom/right).
   * Default 0.
   */
  padding?: Padding2d;
  /** Spacing between kernel taps: a number or [h, w] (default 1). */
  dilation?: Pair;
  /** Channel groups: input and output channels are split into this many independent convolutions (default 1). */
  groups?: number;
}

/** Options of `conv2dTranspose` (PyTorch's `F.conv_transpose2d`). */
export interface Conv2dTransposeOptions {
  /** Step of the corresponding forward convolution: the upsampling factor (default 1). */
  stride?: Pair;
  /** Padding of the corresponding forward convolution, cropped from each side of the output (default 0). */
  padding?: Pair;
  /**
   * Extra rows/columns added to the bottom/right of the output to pick one of the input sizes the
   * forward convolution maps to the same output size. Must be smaller than the stride or the
   * dilation in each dimension (default 0).
   */
  outputPadding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Channel groups (default 1). */
  groups?: number;
}

/** What {@link conv2dOutputShape} reports about a convolution. */
export interface Conv2dOutputInfo {
  /** Output shape: [N, O, outH, outW], or [O, outH, outW] for an unbatched [C, H, W] input. */
  shape: number[];
  /** The padding actually applied, split into its four sides. */
  padding: Pads;
  /**
   * Input rows at the bottom that no window reads because the stride does not divide the room
   * left (the output size is floored, as in PyTorch and Keras).
   */
  unreadRows: number;
  /** Input columns at the right that no window reads. */
  unreadCols: number;
}

/** A convolution's arguments after validation: kernel parameters plus the output shape. */
export interface ResolvedConv2d {
  /** Geometry handed to the kernels. */
  params: Conv2dParams;
  /** Padding split into four sides (for the transposed op: the `padding` option, cropped from its output). */
  pads: Pads;
  /** Shape of the op's result (unbatched when the input was). */
  outShape: number[];
}

/** [N, C, H, W] of a batched or unbatched image input (N = 1 for [C, H, W]). */
function inputDims(op: string, xShape: readonly number[]): [number, number, number, number] {
  if (xShape.length === 4) return [xShape[0]!, xShape[1]!, xShape[2]!, xShape[3]!];
  if (xShape.length === 3) return [1, xShape[0]!, xShape[1]!, xShape[2]!];
  const fix =
    xShape.length === 2
      ? `a single-channel image needs channel and batch dimensions: x.reshape([1, 1, ${xShape[0]}, ${xShape[1]}])`
      : xShape.length > 4
        ? 'merge the extra leading dimensions into the batch with reshape'
        : 'pass images as [N, C, H, W]';
  throw new ShapeError(
    op,
    `input must be a batch of images [N, C, H, W] or one image [C, H, W] (rank 4 or 3), got rank ${xShape.length}`,
    '[N, C, H, W] or [C, H, W]',
    xShape,
    fix,
  );
}

function weightDims(op: string, wShape: readonly number[], layout: string): [number, number, number, number] {
  if (wShape.length !== 4) {
    throw new ShapeError(
      op,
      `weight must be 4-D ${layout}, got rank ${wShape.length}`,
      layout,
      wShape,
      wShape.length === 2
        ? `reshape a single [kH, kW] filter to [1, 1, ${wShape[0]}, ${wShape[1]}]`
        : 'give the weight its four dimensions (a 1-D filter has kH = 1)',
    );
  }
  const [a, b, kH, kW] = wShape as [number, number, number, number];
  if (kH < 1 || kW < 1) {
    throw new ShapeError(
      op,
      'the kernel must be at least 1x1',
      `${layout} with kH, kW >= 1`,
      wShape,
      'give the weight a non-empty kernel',
    );
  }
  return [a, b, kH, kW];
}

function checkGroups(op: string, groups: number): number {
  if (!Number.isInteger(groups) || groups < 1) {
    throw new ValueError(
      op,
      `groups must be a positive integer, got ${JSON.stringify(groups)}. Fix: use 1 for an ordinary convolution or a divisor of the channel counts`,
    );
  }
  return groups;
}

function batchedShape(batched: boolean, n: number, rest: readonly number[]): number[] {
  return batched ? [n, ...rest] : [...rest];
}

/** Validate and resolve the arguments of a forward convolution. */
export function resolveConv2d(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  opts: Conv2dOptions = {},
): ResolvedConv2d {
  const [n, c, h, w] = inputDims(op, xShape);
  const layout = '[outChannels, inChannels / groups, kH, kW]';
  const [o, cg, kH, kW] = weightDims(op, wShape, layout);
  const groups = checkGroups(op, opts.groups ?? 1);
  const batched = xShape.length === 4;
  if (c % groups !== 0) {
    throw new ShapeError(
      op,
      `input channels (${c}) are not divisible by groups (${groups})`,
      `a channel count divisible by ${groups}`,
      xShape,
      'choose groups that divides both the input and the output channels',
    );
  }
  if (o % groups !== 0) {
    throw new ShapeError(
      op,
      `output channels (weight.shape[0] = ${o}) are not divisible by groups (${groups})`,
      `weight ${layout} with outChannels divisible by ${groups}`,
      wShape,
      'choose groups that divides both the input and the output channels',
    );
  }
  if (cg * groups !== c) {
    throw new ShapeError(
      op,
      `the input has ${c} channels but the weight expects ${cg * groups} (weight.shape[1] = ${cg} per group x ${groups} group${groups === 1 ? '' : 's'})`,
      batchedShape(batched, n, [cg * groups, h, w]),
      xShape,
      `give the weight shape [${o}, ${c / groups}, ${kH}, ${kW}], or make the previous layer output ${cg * groups} channels`,
    );
  }
  const [strideH, strideW] = pair(op, 'stride', opts.stride ?? 1);
  const [dilationH, dilationW] = pair(op, 'dilation', opts.dilation ?? 1);
  const pads = resolvePadding(op, opts.padding ?? 0, h, w, kH, kW, strideH, strideW, dilationH, dilationW);
  checkWindowFits(op, 'kernel', xShape, h, effectiveKernel(kH, dilationH), pads.top + pads.bottom, 'height');
  checkWindowFits(op, 'kernel', xShape, w, effectiveKernel(kW, dilationW), pads.left + pads.right, 'width');
  const outH = windowOutputSize(h, kH, strideH, pads.top, pads.bottom, dilationH);
  const outW = windowOutputSize(w, kW, strideW, pads.left, pads.right, dilationW);
  // The kernels read zeros outside the input, so bottom/right padding needs no parameter of its
  // own: it only makes outH/outW larger, and the extra windows run into the implicit zeros.
  const params: Conv2dParams = {
    batch: n,
    inChannels: c,
    inH: h,
    inW: w,
    outChannels: o,
    kH,
    kW,
    strideH,
    strideW,
    padTop: pads.top,
    padLeft: pads.left,
    dilationH,
    dilationW,
    groups,
    outH,
    outW,
  };
  return { params, pads, outShape: batchedShape(batched, n, [o, outH, outW]) };
}

/**
 * Validate and resolve the arguments of a transposed convolution. The returned `params` describe
 * the forward convolution whose *input* is the transposed convolution's output: its `inChannels`,
 * `inH`, `inW` are the result's channels and size, its `outChannels`, `outH`, `outW` those of `x`.
 */
export function resolveConv2dTranspose(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  opts: Conv2dTransposeOptions = {},
): ResolvedConv2d {
  const [n, c, h, w] = inputDims(op, xShape);
  const layout = '[inChannels, outChannels / groups, kH, kW]';
  const [ci, og, kH, kW] = weightDims(op, wShape, layout);
  const groups = checkGroups(op, opts.groups ?? 1);
  const batched = xShape.length === 4;
  if (ci !== c) {
    throw new ShapeError(
      op,
      `the input has ${c} channels but the weight expects ${ci} (weight.shape[0]; the transposed layout is ${layout})`,
      batchedShape(batched, n, [ci, h, w]),
      xShape,
      `give the weight shape [${c}, ${og}, ${kH}, ${kW}], or make the previous layer output ${ci} channels`,
    );
  }
  if (c % groups !== 0) {
    throw new ShapeError(
      op,
      `input channels (${c}) are not divisible by groups (${groups})`,
      `a channel count divisible by ${groups}`,
      xShape,
      'choose groups that divides the input channels',
    );
  }
  const [strideH, strideW] = pair(op, 'stride', opts.stride ?? 1);
  const [dilationH, dilationW] = pair(op, 'dilation', opts.dilation ?? 1);
  const [padH, padW] = pair(op, 'padding', opts.padding ?? 0, true);
  const [opH, opW] = pair(op, 'outputPadding', opts.outputPadding ?? 0, true);
  if ((opH >= strideH && opH >= dilationH) || (opW >= strideW && opW >= dilationW)) {
    throw new ValueError(
      op,
      `outputPadding must be smaller than either the stride or the dilation in each dimension: expected outputPadding < max(stride, dilation) = [${Math.max(strideH, dilationH)}, ${Math.max(strideW, dilationW)}], got [${opH}, ${opW}]. Fix: lower outputPadding (it only picks among the ${strideH}x${strideW} output sizes that the stride makes ambiguous)`,
    );
  }
  const outH = (h - 1) * strideH - 2 * padH + dilationH * (kH - 1) + opH + 1;
  const outW = (w - 1) * strideW - 2 * padW + dilationW * (kW - 1) + opW + 1;
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      op,
      `the padding crops the whole output ((H - 1) * stride - 2 * padding + dilation * (k - 1) + outputPadding + 1 = ${outH} x ${outW})`,
      'an output of at least 1x1',
      xShape,
      'use less padding, a larger kernel or stride, or a larger input',
    );
  }
  const params: Conv2dParams = {
    batch: n,
    inChannels: og * groups,
    inH: outH,
    inW: outW,
    outChannels: c,
    kH,
    kW,
    strideH,
    strideW,
    padTop: padH,
    padLeft: padW,
    dilationH,
    dilationW,
    groups,
    outH: h,
    outW: w,
  };
  return {
    params,
    pads: { top: padH, bottom: padH, left: padW, right: padW },
    outShape: batchedShape(batched, n, [og * groups, outH, outW]),
  };
}

/** Check that weight and bias match the input's dtype and the bias is [outChannels]. */
export function checkConvTensors(
  op: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  outChannels: number,
): void {
  if (weight.dtype !== x.dtype) throw new DTypeError(op, x.dtype, `${weight.dtype} for the weight`);
  if (!bias) return;
  if (bias.dtype !== x.dtype) throw new DTypeError(op, x.dtype, `${bias.dtype} for the bias`);
  if (bias.ndim !== 1 || bias.shape[0] !== outChannels) {
    throw new ShapeError(
      op,
      'bias must hold one value per output channel',
      [outChannels],
      bias.shape,
      `pass a bias of shape [${outChannels}], or null for none`,
    );
  }
}

/**
 * Output shape of `conv2d(x, weight, bias, opts)` for inputs of these shapes, with the padding it
 * applies and the input rows/columns that no window reads (the decks' 7x7 input, 3x3 filter,
 * stride 3 case leaves one of each: the output is floored to 2x2). Throws the same errors as
 * `conv2d`.
 */
export function conv2dOutputShape(
  inputShape: readonly number[],
  weightShape: readonly number[],
  opts: Conv2dOptions = {},
): Conv2dOutputInfo {
  const { params: p, pads, outShape } = resolveConv2d('conv2dOutputShape', inputShape, weightShape, opts);
  return {
    shape: outShape,
    padding: pads,
    unreadRows: unreadInput(p.inH, p.kH, p.strideH, pads.top, pads.bottom, p.dilationH),
    unreadCols: unreadInput(p.inW, p.kW, p.strideW, pads.left, pads.right, p.dilationW),
  };
}

/**
 * Output shape of `conv2dTranspose(x, weight, bias, opts)`:
 * (H - 1) * stride - 2 * padding + dilation * (kH - 1) + outputPadding + 1 per dimension.
 * Throws the same errors as `conv2dTranspose`.
 */
export function conv2dTransposeOutputShape(
  inputShape: readonly number[],
  weightShape: readonly number[],
  opts: Conv2dTransposeOptions = {},
): number[] {
  return resolveConv2dTranspose('conv2dTransposeOutputShape', inputShape, weightShape, opts).outShape;
}

/** Throw unless every named argument is an integer of at least its minimum. */
function checkSizeArgs(op: string, args: Record<string, readonly [value: number, min: number]>): void {
  for (const [name, [v, min]] of Object.entries(args)) {
    if (!Number.isInteger(v) || v < min) {
      throw new ValueError(
        op,
        `${name} must be an integer >= ${min}, got ${JSON.stringify(v)}. Fix: pass ${name} as a whole number of at least ${min}`,
      );
    }
  }
}

/**
 * The lecture formula for one dimension of a convolution (or pooling) output:
 * floor((n + 2 * pad - dilation * (k - 1) - 1) / stride) + 1, e.g. 227, 11, stride 4 gives 55.
 * Returns 0 when the kernel does not fit the padded input.
 */
export function convOutputSize(n: number, k: number, stride = 1, pad = 0, dilation = 1): number {
  checkSizeArgs('convOutputSize', {
    n: [n, 0],
    k: [k, 1],
    stride: [stride, 1],
    pad: [pad, 0],
    dilation: [dilation, 1],
  });
  return windowOutputSize(n, k, stride, pad, pad, dilation);
}

/**
 * One dimension of a transposed convolution's output (PyTorch's rule):
 * (n - 1) * stride - 2 * pad + dilation * (k - 1) + outputPadding + 1, e.g. 2, 3, stride 2 gives 5.
 * A result below 1 means the padding crops the whole output (the op refuses such arguments).
 */
export function convTransposeOutputSize(
  n: number,
  k: number,
  stride = 1,
  pad = 0,
  dilation = 1,
  outputPadding = 0,
): number {
  checkSizeArgs('convTransposeOutputSize', {
    n: [n, 1],
    k: [k, 1],
    stride: [stride, 1],
    pad: [pad, 0],
    dilation: [dilation, 1],
    outputPadding: [outputPadding, 0],
  });
  return (n - 1) * stride - 2 * pad + dilation * (k - 1) + outputPadding + 1;
}
