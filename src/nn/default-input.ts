import type { Module } from './module.js';

const shapes = new WeakMap<Module, readonly number[]>();

/**
 * Remember the per-image input shape a model was built for (e.g. [3, 224, 224]), so that the
 * inspection tools (`summary`, `countMacs`, `receptiveField`) can run it without being told. Every
 * zoo function records its input shape this way; call it on your own models too. Returns the model.
 */
export function setDefaultInputShape<M extends Module>(model: M, shape: readonly number[]): M {
  shapes.set(model, Object.freeze([...shape]));
  return model;
}

/** The per-image input shape recorded by {@link setDefaultInputShape}, or null. */
export function getDefaultInputShape(model: Module): readonly number[] | null {
  return shapes.get(model) ?? null;
}
