/**
 * The registry of layer exporters the ONNX export reads (matched by exact class): every catalog
 * row's ONNX form (io/catalog/), and any a user registers for a layer of their own.
 */
import type { Module } from '../../nn/module.js';
import { ACTIVATIONS } from '../catalog/activations.js';
import { LAYER_ROWS } from '../catalog/layers.js';
import type { LayerExporter } from './layer-export-context.js';

export type { LayerExportContext, LayerExporter } from './layer-export-context.js';

const exporters = new Map<abstract new (...args: never[]) => Module, LayerExporter>();

/** Register how a layer class is written to ONNX (matched by exact class). */
export function registerOnnxExporter<M extends Module>(
  cls: abstract new (...args: never[]) => M,
  exporter: LayerExporter<M>,
): void {
  exporters.set(cls, exporter as unknown as LayerExporter);
}

/** The exporter of a layer's exact class, or undefined (containers and custom modules are traced through). */
export function onnxExporterOf(layer: Module): LayerExporter | undefined {
  return exporters.get(layer.constructor as abstract new (...args: never[]) => Module);
}

// Activations: their ONNX form is in their catalog row.
for (const row of ACTIVATIONS) {
  registerOnnxExporter(row.cls, (m, c) =>
    row.onnx.emit(m, { b: c.b, x: c.inputs[0]!, path: c.path, rank: c.inputTensors[0]!.ndim }),
  );
}

// Every other catalog layer with an ONNX form (containers without one are traced through).
for (const row of LAYER_ROWS) if (row.onnx) registerOnnxExporter(row.saved.cls, row.onnx);
