import type { Tensor } from '../tensor/tensor.js';
import { releaseInferenceBuffer } from '../tensor/inference-buffer-pool.js';
import {
  ReLU,
  ReLU6,
  LeakyReLU,
  Sigmoid,
  Tanh,
  SiLU,
  Hardswish,
  Hardsigmoid,
  GELU,
} from './activation-layers.js';
import { Conv2d } from './conv.js';
import { Dropout, Dropout2d } from './dropout.js';
import { Linear } from './linear.js';
import { Add, Concat } from './merge.js';
import { layerStateEpoch } from './layer-state-epoch.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d } from './normalization.js';
import { AdaptiveAvgPool2d, AvgPool2d, GlobalAvgPool2d, MaxPool2d } from './pooling.js';
import { Flatten, Identity, ZeroPad2d } from './reshape-layers.js';

// When a container running in inference (`Sequential`, `Graph` under `noGrad`) may hand an
// intermediate output's storage back to the inference buffer pool (tensor/inference-buffer-pool.ts)
// after its last reader ran. The container knows the value is dead to itself; it must also be dead
// to everyone else, so the value's producer and its readers must be layers that keep nothing they
// see (Stride's own layers of exactly these classes, or containers whose forward is the stock one,
// made of such layers), none of them with a hook (a hook may keep what it is shown), and no value
// still alive (the container's inputs, what it has computed and not yet released) may share the
// storage (reshapes and in-place activations share it).

/** Layers that keep no reference to their inputs or outputs after their forward returns. */
const STATELESS_LAYERS: ReadonlySet<object> = new Set<object>(
  [
    Conv2d,
    BatchNorm1d,
    BatchNorm2d,
    ReLU,
    ReLU6,
    LeakyReLU,
    Sigmoid,
    Tanh,
    SiLU,
    Hardswish,
    Hardsigmoid,
    GELU,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    GlobalAvgPool2d,
    Flatten,
    Identity,
    ZeroPad2d,
    Dropout,
    Dropout2d,
    Linear,
    Add,
    Concat,
  ].map((c) => c.prototype),
);

/** Containers (Sequential, Graph) register their stock forward here, so subclasses that keep it qualify. */
const stockForwards = new Set<unknown>();

/** Mark `forward` (a container class's own implementation) as one that keeps nothing it computes. */
export function registerStockContainerForward(forward: unknown): void {
  stockForwards.add(forward);
}

/** Whether `m` is a container (Sequential, Graph or a subclass) running their stock forward. */
export function isStockContainer(m: Module): boolean {
  const proto = Object.getPrototypeOf(m) as { forward?: unknown; forwardAll?: unknown };
  return (
    stockForwards.has(proto.forward) && (!('forwardAll' in proto) || stockForwards.has(proto.forwardAll))
  );
}

/** Whether the container `m` and everything under it keep nothing they see (its own hooks checked by the caller). */
function containerKeepsNothing(m: Module, proto: { forward?: unknown; forwardAll?: unknown }): boolean {
  if (!stockForwards.has(proto.forward)) return false;
  if ('forwardAll' in proto && !stockForwards.has(proto.forwardAll)) return false;
  for (const [, c] of m.namedChildren()) if (!keepsNoValues(c)) return false;
  return true;
}

/** A container's answer and the layer-state epoch it was worked out in. */
interface Memo {
  epoch: number;
  value: boolean;
}

const memo = new WeakMap<Module, Memo>();

/**
 * Whether `m` (a value's producer or reader) keeps nothing it sees; null (a graph input) does not
 * qualify. A container's answer, which walks everything under it, is remembered until the
 * layer-state epoch moves (a hook added or removed anywhere, a container's layers changed: see
 * layer-state-epoch.ts).
 */
export function keepsNoValues(m: Module | null | undefined): boolean {
  if (!m || m.hasForwardHooks) return false;
  const proto = Object.getPrototypeOf(m) as { forward?: unknown; forwardAll?: unknown };
  if (STATELESS_LAYERS.has(proto)) return true;
  const epoch = layerStateEpoch();
  let seen = memo.get(m);
  if (seen === undefined) {
    seen = { epoch: -1, value: false };
    memo.set(m, seen);
  } else if (seen.epoch === epoch) {
    return seen.value;
  }
  const value = containerKeepsNothing(m, proto);
  seen.epoch = epoch;
  seen.value = value;
  return value;
}

/**
 * Hand `dead`'s storage back to the inference buffer pool unless a live value shares it. The pool
 * itself refuses storage that was not allocated during the current inference forward.
 */
export function releaseDeadValue(dead: Tensor, live: Iterable<Tensor>): void {
  const buffer = dead.data.buffer;
  for (const t of live) if (t.data.buffer === buffer) return;
  releaseInferenceBuffer(dead.data);
}
