/**
 * The shape of a catalog row for a layer that is not an activation (io/catalog/pooling.ts...): its
 * saved form, its ONNX form for export, and the ONNX operator that imports as it. The saved format
 * (io/builtin-layers.ts), the ONNX exporter (io/onnx/export-layers.ts) and the ONNX importer
 * (io/onnx/import-onnx.ts) register every row; activations have their own, richer rows
 * (io/catalog/activations.ts).
 */
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { LayerSerializer } from '../layer-registry.js';
import type { KerasImport } from './keras-layer.js';
import type { TfjsGraphImport } from './tfjs-graph-layer.js';
import type { FunctionalExport, LayerExporter } from '../onnx/layer-export-context.js';
import type { OnnxAttrs } from '../onnx/onnx-attributes.js';

/** What an ONNX node offers a row that may import it as a layer. */
export interface OnnxImportNode {
  /** The operator (a row may import several, e.g. Linear from Gemm and MatMul). */
  readonly op: string;
  /** The positions of the inputs computed at run time (the others are constants or absent). */
  readonly dynamic: readonly number[];
  /** How many inputs the node lists (absent optional ones included). */
  readonly inputCount: number;
  /** The node's attributes. */
  readonly attrs: OnnxAttrs;
  /** The model's opset for the default domain. */
  readonly opset: number;
  /** The rank of the first input when known. */
  readonly rank: number | null;
  /** How many outputs the node has. */
  readonly outputs: number;
  /** Whether the first input is the only one computed at run time (the others are constants). */
  readonly onlyFirstDynamic: boolean;
  /** The values of the node's constant inputs, by position (null for computed ones). */
  readonly consts: readonly (Tensor | null)[];
}

/** Everything the formats know about one layer class. */
export interface LayerRow<M extends Module = Module> {
  /** Its saved form (type name, config <-> constructor, state size). */
  readonly saved: LayerSerializer<M>;
  /** Its ONNX form, when it has one. */
  readonly onnx?: LayerExporter<M>;
  /**
   * The ONNX operator (or operators) that import as this layer, and the layer for a node (null when
   * the node has no exact equivalent; it then runs as a generic ONNX op).
   */
  readonly onnxImport?: OnnxImportRow<M> | readonly OnnxImportRow<M>[];
  /** The Keras layer classes that import as this layer (TF.js layers models). */
  readonly keras?: KerasImport;
  /** The TensorFlow ops of TF.js graph models that import as this layer. */
  readonly tfjsGraph?: TfjsGraphImport | readonly TfjsGraphImport[];
  /** The layer's functional op(s), when called directly in a forward: their ONNX form from the record. */
  readonly functional?: FunctionalExport;
}

/**
 * What the ONNX importer knows about an operator before running it: the rank of its output (to
 * track ranks through the graph) and a bound on what folding it on constants creates.
 */
export interface OnnxOperatorTraits {
  /**
   * The output's rank: the first input's ('first'), the largest input's ('broadcast'), or 2
   * ('matrix'); absent when it depends on values (Reshape, MatMul: worked out by the importer).
   */
  readonly rank?: 'first' | 'broadcast' | 'matrix';
  /**
   * The most elements folding it on constants creates: the inputs' total ('inputs') or their
   * broadcast shape's size ('broadcast'); absent: worked out case by case in io/onnx/fold-bound.ts,
   * or not folded.
   */
  readonly fold?: 'inputs' | 'broadcast';
  /**
   * The inputs whose constants are weights (trainable parameters) when the node runs as a generic
   * ONNX op (the others are buffers); absent: none.
   */
  readonly weightInputs?: readonly number[];
}

/** One ONNX operator that imports as a catalog layer. */
export interface OnnxImportRow<M extends Module = Module> extends OnnxOperatorTraits {
  /** The ONNX op_type. */
  readonly op: string;
  /** The layer for a node, or null when the node has no exact equivalent. */
  readonly create: (node: OnnxImportNode) => M | null;
}

/** Copy `src` into a parameter of the same shape (false: the node is not expressible by the layer). */
export function copyInto(target: Tensor, src: Tensor): boolean {
  if (target.size !== src.size || target.ndim !== src.ndim || target.shape.some((d, i) => d !== src.shape[i]))
    return false;
  target.data.set(src.data);
  return true;
}
