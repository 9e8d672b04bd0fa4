/**
 * Every non-activation catalog row, by group. The saved format, the ONNX exporter and the ONNX
 * importer register these; a group added here reaches all three.
 */
import type { LayerRow } from './layer-row.js';
import { NORMALIZATION } from './normalization.js';
import { POOLING } from './pooling.js';
import { SHAPE_LAYERS } from './shape-layers.js';

/** The rows of every group. */
export const LAYER_ROWS: readonly LayerRow[] = [...POOLING, ...SHAPE_LAYERS, ...NORMALIZATION];

/** The row whose ONNX operator imports as a layer, if any. */
export function layerRowForOnnxOp(op: string): LayerRow | undefined {
  return LAYER_ROWS.find((r) => r.onnxImport?.op === op);
}
