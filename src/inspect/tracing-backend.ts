import type { Backend, Conv2dParams, GemmParams, Pool2dParams } from '../backend/backend.js';
import type { FloatArray } from '../tensor/dtype.js';

/**
 * One kernel call observed while tracing a forward pass: what the ops layer asked the backend to
 * compute, with the exact geometry it resolved (padding split into sides, output sizes) and the
 * buffers it read and wrote, so inspection never re-derives a layer's arithmetic from its type.
 */
export type KernelEvent =
  | {
      /** A convolution (`conv2d`). */
      readonly kind: 'conv2d';
      readonly params: Conv2dParams;
      /** Multiply-adds: batch·outChannels·outH·outW·(inChannels/groups)·kH·kW (bias not counted). */
      readonly macs: number;
      readonly input: FloatArray;
      readonly output: FloatArray;
    }
  | {
      /**
       * A transposed convolution's forward (`conv2dTranspose` runs the data-gradient kernel of the
       * matching forward convolution, described by `params`: its `in*` sizes are this op's output).
       */
      readonly kind: 'conv2dTranspose';
      readonly params: Conv2dParams;
      /** Multiply-adds, the same count as the matching forward convolution. */
      readonly macs: number;
      readonly input: FloatArray;
      readonly output: FloatArray;
    }
  | {
      /** Max or average pooling. */
      readonly kind: 'maxPool2d' | 'avgPool2d';
      readonly params: Pool2dParams;
      /** Pooling does no multiply-adds (0). */
      readonly macs: number;
      readonly input: FloatArray;
      readonly output: FloatArray;
    }
  | {
      /** A matrix product (`linear`, `matmul`). */
      readonly kind: 'gemm';
      readonly params: GemmParams;
      /** Multiply-adds: batch·m·n·k. */
      readonly macs: number;
      /** The left operand (the activations for `linear`). */
      readonly input: FloatArray;
      readonly output: FloatArray;
    };

/** Multiply-adds of a convolution with these parameters. */
export function convMacs(p: Conv2dParams): number {
  return p.batch * p.outChannels * p.outH * p.outW * (p.inChannels / p.groups) * p.kH * p.kW;
}

/**
 * A backend that reports every convolution, pooling and GEMM call to `onKernel` and then either
 * runs it on `inner` (`execute: true`) or skips the arithmetic altogether (`execute: false`, the
 * "shape-only" mode: outputs stay as allocated, i.e. zeros).
 *
 * Shape-only mode is what makes inspecting a full-size network affordable on the plain-TypeScript
 * backend: the model's own `forward` still runs, every op still validates its arguments, resolves
 * its padding and allocates its output with the exact shape, and every hook still fires, so shapes,
 * parameter counts, multiply-adds and receptive fields come from the real forward pass; only the
 * multiply-adds themselves (VGG16 at 224x224: 15.5 billion) are not performed. Element-wise,
 * reduction and batch-norm kernels are skipped too (statistics stay zero); ops that compute in
 * TypeScript without a kernel (local response norm, adaptive pooling, concatenation) still run, at
 * a cost proportional to the activations. Values are meaningless in this mode, so it only suits models whose control flow does
 * not depend on values (true of feed-forward CNNs). Kernels this file does not list (added to the
 * interface later) are inherited from `inner` and run for real: slower, never wrong.
 */
export function tracingBackend(
  inner: Backend,
  execute: boolean,
  onKernel: (e: KernelEvent) => void,
): Backend {
  // Kernels added to the interface later are inherited from `inner` (run for real) until listed here.
  const traced: Partial<Backend> = {
    name: execute ? `${inner.name}+trace` : 'shape-only',
    gemm(p, a, b, c) {
      onKernel({ kind: 'gemm', params: { ...p }, macs: p.batch * p.m * p.n * p.k, input: a, output: c });
      if (execute) inner.gemm(p, a, b, c);
    },
    conv2dForward(p, x, w, bias, y) {
      onKernel({ kind: 'conv2d', params: { ...p }, macs: convMacs(p), input: x, output: y });
      if (execute) inner.conv2dForward(p, x, w, bias, y);
    },
    prepareConv2dWeights(p, w) {
      // Shape-only tracing never reads the handle's packed data, so it prepares nothing.
      return execute ? inner.prepareConv2dWeights(p, w) : { backend: 'shape-only', weight: w };
    },
    conv2dForwardPrepared(p, x, prepared, bias, y, epilogue) {
      onKernel({ kind: 'conv2d', params: { ...p }, macs: convMacs(p), input: x, output: y });
      if (execute) inner.conv2dForwardPrepared(p, x, prepared, bias, y, epilogue);
    },
    conv2dBackwardData(p, dy, w, dx) {
      // During a forward pass this is the forward of a transposed convolution.
      onKernel({ kind: 'conv2dTranspose', params: { ...p }, macs: convMacs(p), input: dy, output: dx });
      if (execute) inner.conv2dBackwardData(p, dy, w, dx);
    },
    conv2dBackwardFilter(p, x, dy, dw) {
      if (execute) inner.conv2dBackwardFilter(p, x, dy, dw);
    },
    maxPool2dForward(p, x, y, indices) {
      onKernel({ kind: 'maxPool2d', params: { ...p }, macs: 0, input: x, output: y });
      if (execute) inner.maxPool2dForward(p, x, y, indices);
    },
    maxPool2dBackward(p, dy, indices, dx) {
      if (execute) inner.maxPool2dBackward(p, dy, indices, dx);
    },
    avgPool2dForward(p, x, y) {
      onKernel({ kind: 'avgPool2d', params: { ...p }, macs: 0, input: x, output: y });
      if (execute) inner.avgPool2dForward(p, x, y);
    },
    avgPool2dBackward(p, dy, dx) {
      if (execute) inner.avgPool2dBackward(p, dy, dx);
    },
    batchNormStats(p, x, mean, variance) {
      if (execute) inner.batchNormStats(p, x, mean, variance);
    },
    batchNormForward(p, x, scale, shift, y) {
      if (execute) inner.batchNormForward(p, x, scale, shift, y);
    },
    batchNormBackwardSums(p, dy, x, mean, sumDy, sumDyXc) {
      if (execute) inner.batchNormBackwardSums(p, dy, x, mean, sumDy, sumDyXc);
    },
    batchNormBackwardData(p, dy, x, dyScale, xScale, shift, dx) {
      if (execute) inner.batchNormBackwardData(p, dy, x, dyScale, xScale, shift, dx);
    },
    unary(op, x, y, alpha) {
      if (execute) inner.unary(op, x, y, alpha);
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      if (execute) inner.binary(op, a, aShape, b, bShape, out, outShape);
    },
    reduce(op, x, shape, axes, out, indices) {
      if (execute) inner.reduce(op, x, shape, axes, out, indices);
    },
  };
  return Object.assign(Object.create(inner) as Backend, traced);
}
