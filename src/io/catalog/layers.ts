/**
 * Every non-activation catalog row, by group, and what the ONNX importer reads from all rows
 * together. The saved format, the ONNX exporter and the ONNX importer register these; a group
 * added here reaches all three.
 */
import { ACTIVATIONS, ACTIVATION_ONNX_OPS } from './activations.js';
import { CONTAINERS } from './containers.js';
import { CONVOLUTIONS } from './convolutions.js';
import { FACE_RECOGNITION_LAYERS } from './face-recognition.js';
import { GRAPH_LAYERS } from './graph-layers.js';
import type { FunctionalExport } from '../onnx/layer-export-context.js';
import type { KerasImport } from './keras-layer.js';
import type { TfjsGraphImport } from './tfjs-graph-layer.js';
import type { LayerRow, OnnxImportRow, OnnxOperatorTraits } from './layer-row.js';
import { LINEAR } from './linear.js';
import { MERGE_LAYERS } from './merge-layers.js';
import { NORMALIZATION } from './normalization.js';
import { ONNX_OP_LAYERS } from './onnx-op.js';
import { ONNX_OPERATOR_TRAITS } from './onnx-operators.js';
import { POOLING } from './pooling.js';
import { SHAPE_LAYERS } from './shape-layers.js';
import { UPSAMPLE } from './upsample.js';

/** The rows of every group. */
export const LAYER_ROWS: readonly LayerRow[] = [
  ...CONVOLUTIONS,
  ...LINEAR,
  ...POOLING,
  ...SHAPE_LAYERS,
  ...NORMALIZATION,
  ...MERGE_LAYERS,
  ...UPSAMPLE,
  ...CONTAINERS,
  ...FACE_RECOGNITION_LAYERS,
  ...GRAPH_LAYERS,
  ...ONNX_OP_LAYERS,
];

/** The ONNX operators a row imports (none, one, or several). */
export function onnxImportsOf(row: LayerRow): readonly OnnxImportRow[] {
  const i = row.onnxImport;
  return i === undefined ? [] : Array.isArray(i) ? i : [i as OnnxImportRow];
}

/** The layer rows' ONNX imports, by operator. */
const IMPORTS = new Map<string, OnnxImportRow>(
  LAYER_ROWS.flatMap((r) => onnxImportsOf(r)).map((i) => [i.op, i] as const),
);

/** The import of an ONNX operator as a catalog layer, if a row has one. */
export function layerImportForOnnxOp(op: string): OnnxImportRow | undefined {
  return IMPORTS.get(op);
}

/** Activations are element-wise: they keep their input's rank and size. */
const ACTIVATION_TRAITS: OnnxOperatorTraits = { rank: 'first', fold: 'inputs' };

/**
 * What the importer knows of an ONNX operator before running it, from the row that declares it:
 * an activation's, a layer's import, or the table of operators without a layer.
 */
export function onnxOperatorTraits(op: string): OnnxOperatorTraits | undefined {
  if (ACTIVATION_ONNX_OPS.includes(op)) return ACTIVATION_TRAITS;
  return IMPORTS.get(op) ?? (Object.hasOwn(ONNX_OPERATOR_TRAITS, op) ? ONNX_OPERATOR_TRAITS[op] : undefined);
}

/** The Keras layer imports of every row (layers' and activations'), by Keras class name. */
const KERAS = new Map<string, KerasImport>(
  [...LAYER_ROWS.map((r) => r.keras), ...ACTIVATIONS.map((r) => r.kerasLayer)]
    .filter((k): k is KerasImport => k !== undefined)
    .flatMap((k) => k.classes.map((c) => [c, k] as const)),
);

/** The row's import of a Keras layer class, if a row imports it. */
export function kerasImportFor(className: string): KerasImport | undefined {
  return KERAS.get(className);
}

/** Every Keras layer class a row imports (for messages and tests). */
export function kerasClasses(): string[] {
  return [...KERAS.keys()];
}

/** The rows' exports of their functional ops, by op name. */
const FUNCTIONAL = new Map<string, FunctionalExport>(
  LAYER_ROWS.flatMap((r) => (r.functional ? r.functional.ops.map((op) => [op, r.functional!] as const) : [])),
);

/** The row that writes a directly called functional op from its record, if any. */
export function functionalExportFor(op: string): FunctionalExport | undefined {
  return FUNCTIONAL.get(op);
}

/** The TF.js graph imports of every row (layers' and activations'), by TensorFlow op. */
const TFJS_GRAPH = new Map<string, TfjsGraphImport>(
  [
    ...LAYER_ROWS.flatMap((r) => (r.tfjsGraph === undefined ? [] : [r.tfjsGraph].flat())),
    ...ACTIVATIONS.map((r) => r.tfjsGraph),
  ]
    .filter((i): i is TfjsGraphImport => i !== undefined)
    .flatMap((i) => i.ops.map((op) => [op, i] as const)),
);

/** The row's import of a TensorFlow graph op, if a row imports it (activations with only attributes: tfActivationLayer). */
export function tfjsGraphImportFor(op: string): TfjsGraphImport | undefined {
  return TFJS_GRAPH.get(op);
}

/** Every TensorFlow op a row imports as a layer (for messages and tests). */
export function tfjsGraphOps(): string[] {
  return [...TFJS_GRAPH.keys()];
}
