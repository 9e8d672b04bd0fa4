import type { ActivationName, LazyLayer } from '../nn/keras-shorthand.js';

/** Every activation name a Keras-style layer accepts. */
export const ACTIVATION_NAMES: readonly ActivationName[] = [
  'linear',
  'relu',
  'relu6',
  'leakyRelu',
  'elu',
  'selu',
  'gelu',
  'sigmoid',
  'tanh',
  'silu',
  'swish',
  'softmax',
  'logSoftmax',
];

/**
 * The activation a built Keras-style layer applies after its inner layer. `LazyLayer` keeps the
 * name private but always ends its description with `, activation=<name>` when it has one.
 */
export function lazyActivation(layer: LazyLayer): ActivationName | undefined {
  const m = /, activation=([A-Za-z0-9]+)$/.exec(layer.extraRepr());
  return m && ACTIVATION_NAMES.includes(m[1] as ActivationName) ? (m[1] as ActivationName) : undefined;
}
