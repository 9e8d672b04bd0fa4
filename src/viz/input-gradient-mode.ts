import type { Module } from '../nn/module.js';

/**
 * Run `fn` with the model in evaluation mode and its parameters not requiring gradients, so that
 * a backward pass computes gradients with respect to the input only (nothing accumulates in the
 * parameters' `.grad`). Each module's training flag and each parameter's `requiresGrad` are put
 * back afterwards, even when `fn` throws.
 */
export function withInputGradients<T>(model: Module, fn: () => T): T {
  const modes = model.modules().map((m) => [m, m.training] as const);
  const params = model.parameters().map((p) => [p, p.requiresGrad] as const);
  model.eval();
  for (const [p] of params) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    for (const [m, training] of modes) m.training = training;
    for (const [p, flag] of params) p.requiresGrad = flag;
  }
}
