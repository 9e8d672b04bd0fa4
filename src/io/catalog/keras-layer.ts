/**
 * What a catalog row sees when it imports a Keras layer (io/tfjs/import-keras.ts builds this for
 * each layer of a TF.js layers model and calls the row whose `keras.classes` names the layer's
 * class), and the conversions between Keras' channels-last conventions and Stride's that rows share.
 */
import type { GraphNode } from '../../nn/graph.js';
import type { Module } from '../../nn/module.js';
import { permute } from '../../ops/shape-ops.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { JsonObject, JsonValue } from '../json-value.js';

/** A value of the model being imported: its graph node and its rank (feature maps, 4, are NCHW). */
export interface KerasValue {
  readonly node: GraphNode;
  /** Rank including the batch dimension. */
  readonly rank: number;
}

/** One Keras layer being imported, and the graph it is added to. */
export interface KerasLayer {
  /** The Keras class name (`Conv2D`, `Dense`, ...). */
  readonly className: string;
  /** The layer's name (the Stride node's name). */
  readonly name: string;
  /** The layer's Keras config. */
  readonly config: JsonObject;
  /** The values it reads, in order. */
  readonly inputs: readonly KerasValue[];
  /** Keras' `padding` option: 'same', else 'valid'. */
  readonly padding: 'same' | 'valid';
  /** A weight of this layer by its Keras name (`kernel`, `bias`, ...); refused when absent. */
  weight(name: string): Tensor;
  /** A weight of this layer that may be absent (a batch norm's gamma when `scale` is off). */
  optionalWeight(name: string): Tensor | undefined;
  /** Copy a weight into a parameter of the same size (refused, naming the weight, when it differs). */
  setWeight(target: Tensor, value: Tensor, name: string): void;
  /** Add `layer` to the graph reading `args`; returns its value with the given rank. */
  add(nodeName: string, layer: Module, args: readonly KerasValue[], rank: number): KerasValue;
  /** `v` followed by the layer's fused `activation` option (none for 'linear'). */
  withActivation(v: KerasValue): KerasValue;
  /** Refuse the layer: what about it Stride does not import. */
  refuse(problem: string): never;
}

/** The Keras classes a catalog row imports, and how. */
export interface KerasImport {
  /** Keras class names. */
  readonly classes: readonly string[];
  /** Build the layer (and any helpers around it) into the graph; returns its output. */
  readonly create: (l: KerasLayer) => KerasValue;
}

/** A channels-last axis of a rank-`rank` tensor as Stride's channels-first axis. */
export function toChannelsFirst(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (rank !== 4) return a;
  return [0, 2, 3, 1][a]!;
}

/** A Keras option that is a number or a pair of numbers, as a pair (`def` when absent). */
export function pairOf(v: JsonValue | undefined, def: number): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number'))
    return [v[0] as number, v[1] as number];
  return [def, def];
}

/** A numeric Keras option, or Keras' default `def` when absent. */
export function kerasNumber(cfg: JsonObject, key: string, def: number): number {
  const v = cfg[key];
  return typeof v === 'number' ? v : def;
}

/** [kh, kw, in, out] (TensorFlow) -> [out, in, kh, kw] (Stride/PyTorch). */
export function convKernel(k: Tensor): Tensor {
  return permute(k, [3, 2, 0, 1]).clone();
}

/** [kh, kw, in, mult] -> [in·mult, 1, kh, kw]: output channel c·mult + m reads input channel c. */
export function depthwiseKernel(k: Tensor): Tensor {
  const [kh, kw, cin, mult] = k.shape as [number, number, number, number];
  return permute(k, [2, 3, 0, 1])
    .clone()
    .reshape([cin * mult, 1, kh, kw]);
}
