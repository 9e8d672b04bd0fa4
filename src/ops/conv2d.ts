import { record } from '../autograd/grad-fn.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { Backend, Conv2dParams, PreparedConv2dWeights } from '../backend/backend.js';
import { unrecorded } from '../backend/kernel-recording.js';
import { kernels } from '../backend/registry.js';
import { ValueError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { inferenceBuffersActive, takeInferenceBuffer } from '../tensor/inference-buffer-pool.js';
import { sizeOf } from '../tensor/shape.js';
import { empty, Tensor } from '../tensor/tensor.js';
import { checkConvTensors, resolveConv2d, type Conv2dOptions, type ResolvedConv2d } from './conv-params.js';
import { recordActivation, type FusedActivation } from './fused-activation.js';

/**
 * Gradient of a per-channel bias: dy of shape [batch, channels, plane] summed over batch and plane.
 * Shared with `conv2dTranspose`.
 */
export function channelBiasGrad(dy: Tensor, batch: number, channels: number, plane: number): Tensor {
  const db = empty([channels], dy.dtype);
  kernels().reduce('sum', dy.data, [batch, channels, plane], [0, 2], db.data);
  return db;
}

/**
 * 2-D convolution (cross-correlation, as in every deep-learning library), like PyTorch's
 * `F.conv2d`: `y[n, o] = bias[o] + sum over c, ky, kx of weight[o, c, ky, kx] * x[n, c, ...]`.
 *
 * @param x input [N, C, H, W], or one image [C, H, W] (the result is then [O, outH, outW]).
 * @param weight filters [O, C / groups, kH, kW].
 * @param bias [O], or null/undefined for none.
 * @param opts stride, padding (number, [h, w], [top, bottom, left, right], `'valid'`, `'same'`),
 *   dilation and groups. Output sizes are floored: floor((H + padding - dilation * (kH - 1) - 1) / stride) + 1.
 * @returns [N, O, outH, outW]; differentiable with respect to x, weight and bias.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  return conv2dWith(x, weight, bias ?? null, opts, null);
}

/**
 * Supplies the prepared weights for a resolved geometry on the active backend (see
 * {@link conv2dPrepared}).
 */
export type PreparedWeightsSource = (p: Conv2dParams, backend: Backend) => PreparedConv2dWeights;

/**
 * {@link conv2d} whose forward reads weights the active backend prepared once
 * (`Backend.prepareConv2dWeights`), as `Conv2d` does in inference mode. `prepared` returns the
 * handle for the resolved geometry; it must have been prepared from weights holding the values
 * of `weight`, which the backward pass still reads. With `activation` the kernel applies ReLU or
 * ReLU6 to its output as it writes it (one pass fewer than a separate activation).
 */
export function conv2dPrepared(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: Conv2dOptions,
  prepared: PreparedWeightsSource,
  activation: FusedActivation | null = null,
): Tensor {
  return conv2dWith(x, weight, bias, opts, prepared, activation);
}

/**
 * Inference-only {@link conv2dPrepared} followed by `+ residual` and then ReLU when `relu` is set,
 * in one backend call (the native backend applies both as it writes each output tile), for
 * ResNet's convolution + shortcut sum + ReLU. Records no gradient, so it must run with gradients
 * off (`noGrad`). Returns null, computing nothing, when `residual` does not have the output's shape
 * and dtype (the caller then runs the sum as usual, with broadcasting).
 */
export function conv2dPreparedResidual(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  residual: Tensor,
  relu: boolean,
  opts: Conv2dOptions,
  prepared: PreparedWeightsSource,
): Tensor | null {
  const op = 'conv2d';
  if (isGradEnabled()) {
    throw new ValueError(op, 'the residual epilogue records no gradient. Fix: run it under st.noGrad');
  }
  const { params: p, outShape } = resolveConv2dOnce(op, x.shape, weight.shape, opts);
  checkConvTensors(op, x, weight, bias, p.outChannels);
  const r = residual.shape;
  if (residual.dtype !== x.dtype || r.length !== outShape.length || r.some((d, i) => d !== outShape[i]))
    return null;
  const y = inferenceOutput(outShape, x.dtype);
  const k = kernels();
  k.conv2dForwardPrepared(p, x.data, prepared(p, unrecorded(k)), bias ? bias.data : null, y.data, {
    residual: residual.data,
    activation: relu ? 'relu' : null,
  });
  return y;
}

/** An output tensor for a kernel that overwrites all of it: from the inference buffer pool, unzeroed, when it lends. */
function inferenceOutput(shape: readonly number[], dtype: DType): Tensor {
  const pooled = inferenceBuffersActive() ? takeInferenceBuffer(dtype, sizeOf(shape), false) : null;
  return pooled ? new Tensor(pooled, shape) : empty(shape, dtype);
}

/** A resolved geometry and the input shape, weight shape and option values it was resolved for. */
interface GeometryEntry {
  x: readonly number[];
  w: readonly number[];
  stride: unknown;
  padding: unknown;
  dilation: unknown;
  groups: unknown;
  resolved: ResolvedConv2d;
}

/** The last geometry resolved per options object (a Conv2d layer passes the same one on every call). */
const geometries = new WeakMap<Conv2dOptions, GeometryEntry>();

/** An option value as it was (arrays copied, so that a later change in place is noticed). */
function snapshot(v: unknown): unknown {
  return Array.isArray(v) ? [...(v as unknown[])] : v;
}

function sameOption(kept: unknown, v: unknown): boolean {
  if (!Array.isArray(kept) || !Array.isArray(v)) return kept === v;
  if (kept.length !== v.length) return false;
  for (let i = 0; i < v.length; i++) if (kept[i] !== v[i]) return false;
  return true;
}

function sameDims(kept: readonly number[], dims: readonly number[]): boolean {
  if (kept.length !== dims.length) return false;
  for (let i = 0; i < dims.length; i++) if (kept[i] !== dims[i]) return false;
  return true;
}

/**
 * {@link resolveConv2d}, reused while the shapes and every option value equal those of the last
 * call with the same options object: the inference forward of a layer resolves (and validates) its
 * geometry once instead of on every call. The result is shared: callers must not change it.
 */
function resolveConv2dOnce(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  opts: Conv2dOptions,
): ResolvedConv2d {
  const e = geometries.get(opts);
  if (
    e !== undefined &&
    sameDims(e.x, xShape) &&
    sameDims(e.w, wShape) &&
    sameOption(e.stride, opts.stride) &&
    sameOption(e.padding, opts.padding) &&
    sameOption(e.dilation, opts.dilation) &&
    e.groups === opts.groups
  )
    return e.resolved;
  const resolved = resolveConv2d(op, xShape, wShape, opts);
  geometries.set(opts, {
    x: [...xShape],
    w: [...wShape],
    stride: snapshot(opts.stride),
    padding: snapshot(opts.padding),
    dilation: snapshot(opts.dilation),
    groups: opts.groups,
    resolved,
  });
  return resolved;
}

/**
 * The inference forward of {@link conv2dPrepared} (gradients off): the geometry resolved once per
 * options object and input shape, the output from the inference buffer pool, nothing recorded.
 */
function conv2dInference(
  x: Tensor,
  weight: Tensor,
  b: Tensor | null,
  opts: Conv2dOptions,
  prepared: PreparedWeightsSource,
  activation: FusedActivation | null,
): Tensor {
  const op = 'conv2d';
  const { params: p, outShape } = resolveConv2dOnce(op, x.shape, weight.shape, opts);
  checkConvTensors(op, x, weight, b, p.outChannels);
  const y = inferenceOutput(outShape, x.dtype);
  const k = kernels();
  k.conv2dForwardPrepared(p, x.data, prepared(p, unrecorded(k)), b ? b.data : null, y.data, { activation });
  return y;
}

function conv2dWith(
  x: Tensor,
  weight: Tensor,
  b: Tensor | null,
  opts: Conv2dOptions,
  prepared: PreparedWeightsSource | null,
  activation: FusedActivation | null = null,
): Tensor {
  const op = 'conv2d';
  if (prepared && !isGradEnabled()) return conv2dInference(x, weight, b, opts, prepared, activation);
  const { params: p, pads, outShape } = resolveConv2d(op, x.shape, weight.shape, opts);
  checkConvTensors(op, x, weight, b, p.outChannels);
  const y = empty(outShape, x.dtype);
  const k = kernels();
  if (prepared)
    k.conv2dForwardPrepared(p, x.data, prepared(p, unrecorded(k)), b ? b.data : null, y.data, { activation });
  else k.conv2dForward(p, x.data, weight.data, b ? b.data : null, y.data);
  const conv = record(
    op,
    b ? [x, weight, b] : [x, weight],
    y,
    (g, needs) => {
      let dx: Tensor | null = null;
      let dw: Tensor | null = null;
      if (needs[0]) {
        dx = empty(x.shape, x.dtype);
        kernels().conv2dBackwardData(p, g.data, weight.data, dx.data);
      }
      if (needs[1]) {
        dw = empty(weight.shape, weight.dtype);
        kernels().conv2dBackwardFilter(p, x.data, g.data, dw.data);
      }
      if (!b) return [dx, dw];
      return [dx, dw, needs[2] ? channelBiasGrad(g, p.batch, p.outChannels, p.outH * p.outW) : null];
    },
    {
      kernelShape: [p.kH, p.kW],
      strides: [p.strideH, p.strideW],
      // ONNX's order: the begins of both axes, then their ends.
      pads: [pads.top, pads.left, pads.bottom, pads.right],
      dilations: [p.dilationH, p.dilationW],
      group: p.groups,
    },
  );
  // The kernel already applied a fused activation (prepared path only); record its backward.
  return activation && prepared ? recordActivation(conv, activation) : conv;
}
