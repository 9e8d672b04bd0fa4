import { getDefaultInputShape } from '../models/default-input.js';
import { Graph } from '../nn/graph.js';
import type { Module } from '../nn/module.js';

/**
 * The per-sample input shape a model declares, or null: a zoo model's default input, else the
 * shape given to a functional Graph's (first) input, as imported ONNX and TF.js models have.
 */
export function declaredInputShape(model: Module): readonly number[] | null {
  const zoo = getDefaultInputShape(model);
  if (zoo) return zoo;
  if (model instanceof Graph) return model.nodes().find((n) => n.module === null)?.shape ?? null;
  return null;
}
