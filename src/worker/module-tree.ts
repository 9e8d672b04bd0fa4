import type { Module } from '../nn/module.js';

/**
 * `model` and every module under it in depth-first order, a module held at two places listed at
 * both (unlike `modules()`): the shape of the layer tree a serialized architecture rebuilds, where
 * the two places become two modules.
 */
export function moduleTree(model: Module): Module[] {
  const out: Module[] = [];
  const visit = (m: Module): void => {
    out.push(m);
    for (const c of m.children()) visit(c);
  };
  visit(model);
  return out;
}
