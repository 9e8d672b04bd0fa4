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
import type { LayerExporter } from '../onnx/layer-export-context.js';
import type { OnnxAttrs } from '../onnx/onnx-attributes.js';

/** What an ONNX node offers a row that may import it as a layer. */
export interface OnnxImportNode {
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
   * The ONNX operator that imports as this layer, and the layer for a node (null when the node has
   * no exact equivalent; it then runs as a generic ONNX op).
   */
  readonly onnxImport?: { readonly op: string; readonly create: (node: OnnxImportNode) => M | null };
}
