import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';

/**
 * The submodule of `model` at the dotted path `name` (as `model.namedModules()` spells it). An
 * unknown name is refused with the names that do exist, so a typo is fixed at once.
 */
export function findLayer(op: string, model: Module, name: string): Module {
  for (const [n, m] of model.namedModules()) if (n === name && n !== '') return m;
  const names = model
    .namedModules()
    .map(([n]) => n)
    .filter((n) => n !== '');
  const shown = names.length > 40 ? [...names.slice(0, 40), `... (${names.length - 40} more)`] : names;
  throw new ValueError(
    op,
    `the model has no layer named '${name}'. Its layers are: ${shown.join(', ') || '(none)'}. ` +
      'Fix: pass one of these dotted names (stride summary <model> lists them with their shapes)',
  );
}
