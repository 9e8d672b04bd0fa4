/**
 * What a layer's ONNX exporter sees and the helpers exporters share: the context of one layer in
 * the graph being built, the refusal every exporter throws, and the explicit pads of a window op.
 * The catalog rows (io/catalog/) and io/onnx/export-layers.ts both write exporters against it.
 */
import { ValueError } from '../../errors.js';
import type { OpAttrs } from '../../autograd/grad-fn.js';
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

/** An op called directly in a forward, as its autograd record shows it to the functional exporter. */
export interface FunctionalRecord {
  /** The graph being built. */
  readonly b: OnnxBuilder;
  /** The op's name in the record (`conv2d`, `maxPool2d`, ...). */
  readonly op: string;
  /** ONNX names of its inputs. */
  readonly inputs: readonly string[];
  /** Its traced inputs. */
  readonly args: readonly Tensor[];
  /** Its traced output. */
  readonly out: Tensor;
  /** The resolved attributes its record keeps. */
  readonly attrs: OpAttrs;
}

/** The functional ops a layer's row writes when they are called directly, and how. */
export interface FunctionalExport {
  readonly ops: readonly string[];
  readonly emit: (r: FunctionalRecord) => string;
}

/** An integer list attribute the record must hold. */
function ints(attrs: OpAttrs, key: string): number[] {
  const v = attrs[key];
  if (!Array.isArray(v)) throw new ValueError('exportOnnx', `the record lacks its '${key}' attribute`);
  return [...(v as readonly number[])];
}

/**
 * The ONNX node (type and attributes) of a convolution or pooling the record describes: its
 * window geometry as it ran, read from the record's attributes.
 */
export function windowNode(
  op: string,
  attrs: OpAttrs,
  x: Tensor,
): { type: string; attrs: Record<string, number | number[]> } {
  if (x.ndim !== 4) {
    throw new ValueError(
      'exportOnnx',
      `a traced ${op} of an unbatched [C, H, W] input has no ONNX form. Fix: add the batch dimension (x.unsqueeze(0))`,
    );
  }
  const window = {
    kernel_shape: ints(attrs, 'kernelShape'),
    strides: ints(attrs, 'strides'),
    pads: ints(attrs, 'pads'),
    dilations: ints(attrs, 'dilations'),
  };
  if (op === 'conv2d') return { type: 'Conv', attrs: { ...window, group: attrs.group as number } };
  const ceil_mode = attrs.ceilMode === true ? 1 : 0;
  if (op === 'maxPool2d') return { type: 'MaxPool', attrs: { ...window, ceil_mode } };
  if (attrs.divisorOverride !== 0) {
    throw new ValueError(
      'exportOnnx',
      'avgPool2d with divisorOverride has no ONNX equivalent. Fix: drop divisorOverride',
    );
  }
  // avgPool2d has no dilation (its record says 1).
  const { kernel_shape, strides, pads } = window;
  const count_include_pad = attrs.countIncludePad === true ? 1 : 0;
  return { type: 'AveragePool', attrs: { kernel_shape, strides, pads, ceil_mode, count_include_pad } };
}

/** A window op's record (conv2d, maxPool2d, avgPool2d) as its ONNX node. */
export const windowExport: FunctionalExport['emit'] = (r) => {
  const node = windowNode(r.op, r.attrs, r.args[0]!);
  return r.b.op(node.type, r.inputs, node.attrs, r.op);
};
