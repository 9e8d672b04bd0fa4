import type { Module } from '../../nn/module.js';
import { kerasActivationLayer } from '../catalog/activations.js';

/**
 * The Stride layer for a Keras activation name (the activation catalog's Keras names), for feature
 * maps or vectors whose channels are dimension 1 (softmax normalizes the channels, Keras' last
 * axis). Null for `'linear'`; undefined for names Stride does not know.
 */
export function kerasActivation(name: string): Module | null | undefined {
  return name === 'linear' ? null : kerasActivationLayer(name);
}
