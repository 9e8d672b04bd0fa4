import { activationPoolGeneration, releaseActivationBuffer } from '../tensor/activation-pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { ReLU, ReLU6 } from './activation-layers.js';
import { Conv2d } from './conv.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Add } from './merge.js';
import type { Module } from './module.js';
import { BatchNorm2d } from './normalization.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './pooling.js';
import { Flatten, Identity, ZeroPad2d } from './reshape-layers.js';

// When a fused inference forward (see inference-fusion.ts) may give an intermediate activation's
// array back to the activation pool (src/tensor/activation-pool.ts): when the layer that made it
// and the layer that read it last both keep no reference to their inputs or outputs and show them
// to no hook, and no value still held shares its storage (a Flatten or Dropout hands its input on).

/** Layer classes whose forward keeps no reference to its inputs or output (exact classes only). */
const LEAVES: readonly (abstract new (...a: never[]) => Module)[] = [
  Conv2d,
  BatchNorm2d,
  ReLU,
  ReLU6,
  Add,
  Identity,
  Dropout,
  Flatten,
  ZeroPad2d,
  AdaptiveAvgPool2d,
  AvgPool2d,
  MaxPool2d,
  Linear,
];

/** Containers that hold values only while they run (Sequential, Graph), with their forward methods. */
const containers: { proto: Module; methods: readonly string[] }[] = [];

/**
 * @internal Mark a container class whose `methods` (its forward and whatever the forward calls
 * that a subclass could override) keep values only while they run.
 */
export function registerTransparentContainer(
  cls: { prototype: Module },
  methods: readonly string[] = ['forward'],
): void {
  containers.push({ proto: cls.prototype, methods });
}

const methodOf = (o: object, name: string): unknown => (o as Record<string, unknown>)[name];

/**
 * Whether `m` (and everything inside it) keeps no reference to the values it reads or makes and
 * shows them to no hook: an exact class of {@link LEAVES}, or a container whose forward is
 * Sequential's or Graph's own (subclasses that only build, like MobileNetV2's blocks, count) with
 * such children, none with hooks.
 */
export function keepsNoValues(m: Module | null | undefined): boolean {
  if (!m) return false;
  // Remembered for the rest of the outermost fused forward (layers and hooks do not change during it).
  const gen = activationPoolGeneration();
  const seen = memo.get(m);
  if (seen && seen.gen === gen) return seen.value;
  const value = computeKeepsNoValues(m);
  memo.set(m, { gen, value });
  return value;
}

const memo = new WeakMap<Module, { gen: number; value: boolean }>();

function computeKeepsNoValues(m: Module): boolean {
  if (m.hasForwardHooks) return false;
  const proto = Object.getPrototypeOf(m) as Module;
  if (LEAVES.some((cls) => cls.prototype === proto)) return true;
  const own = containers.some((c) => c.methods.every((k) => methodOf(proto, k) === methodOf(c.proto, k)));
  return own && m.children().every(keepsNoValues);
}

/**
 * Give `dead`'s array back to the activation pool unless some value in `live` shares its storage
 * (arrays the pool did not lend are ignored). The caller has checked that whoever made and read
 * `dead` keeps no reference to it ({@link keepsNoValues}).
 */
export function releaseDeadValue(dead: Tensor, live: Iterable<Tensor>): void {
  const buffer = dead.data.buffer;
  for (const t of live) if (t.data.buffer === buffer) return;
  releaseActivationBuffer(dead.data);
}
