/**
 * What a layer's ONNX exporter sees and the helpers exporters share: the context of one layer in
 * the graph being built, the refusal every exporter throws, and the explicit pads of a window op.
 * The catalog rows (io/catalog/) and io/onnx/export-layers.ts both write exporters against it.
 */
import { ValueError } from '../../errors.js';
import type { Module } from '../../nn/module.js';
import type { FusedActivation } from '../../ops/fused-activation.js';
import { resolvePadding, type Padding2d } from '../../ops/geometry.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { OnnxBuilder } from './onnx-builder.js';

/** What a layer exporter sees: the builder, the layer's path, and its traced inputs and output. */
export interface LayerExportContext {
  /** The graph being built. */
  readonly b: OnnxBuilder;
  /** The layer's dotted path in the model (initializer names start with it). */
  readonly path: string;
  /** ONNX value names of the layer's inputs. */
  readonly inputs: readonly string[];
  /** The traced input tensors (shapes, for padding and reshape arithmetic). */
  readonly inputTensors: readonly Tensor[];
  /** The traced output. */
  readonly output: Tensor;
  /** The opset the model is written under (for operators whose form changed, e.g. ReduceMax's axes in 18). */
  readonly opset: number;
  /** The exporter of another layer's exact class (a wrapper such as LazyLayer exports its inner layer by it). */
  readonly exporterOf: (layer: Module) => LayerExporter | undefined;
}

/** Emits the ONNX nodes that compute a layer; returns the name of the value holding its output. */
export type LayerExporter<M extends Module = Module> = (layer: M, ctx: LayerExportContext) => string;

/** Refuse to export `layer`: what about it has no ONNX form, and the fix. */
export function refuse(layer: string, problem: string, fix: string): never {
  throw new ValueError('exportOnnx', `${layer}: ${problem}. Fix: ${fix}`);
}

/** Explicit ONNX pads [top, left, bottom, right] of a window op on the traced input. */
export function windowPads(
  padding: Padding2d,
  x: Tensor,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): number[] {
  const p = resolvePadding(
    'exportOnnx',
    padding,
    x.shape[2]!,
    x.shape[3]!,
    kernel[0],
    kernel[1],
    stride[0],
    stride[1],
    dilation[0],
    dilation[1],
  );
  return [p.top, p.left, p.bottom, p.right];
}

/** A Reshape to the traced output shape, keeping the batch dimension dynamic (0 copies it). */
export function reshapeTo(
  c: { b: OnnxBuilder; path: string },
  input: string,
  inShape: readonly number[],
  outShape: readonly number[],
): string {
  const target = outShape.map((d, i) => (i === 0 && inShape.length > 0 && d === inShape[0] ? 0 : d));
  return c.b.op('Reshape', [input, c.b.ints(target, `${c.path}.shape`)], {}, c.path);
}

/** Clip(x, lo, hi) with constant bounds. */
export function clipNode(c: LayerExportContext, lo: number, hi: number, x: string = c.inputs[0]!): string {
  return c.b.op(
    'Clip',
    [x, c.b.floats([lo], [], `${c.path}.min`), c.b.floats([hi], [], `${c.path}.max`)],
    {},
    c.path,
  );
}

/** A layer's fused activation applied to its result `y` (ReLU, or ReLU6 as Clip(0, 6)). */
export function withActivation(c: LayerExportContext, y: string, activation: FusedActivation | null): string {
  if (activation === 'relu') return c.b.op('Relu', [y], {}, c.path);
  if (activation === 'relu6') return clipNode(c, 0, 6, y);
  return y;
}
