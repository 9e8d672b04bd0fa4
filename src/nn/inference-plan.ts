import { kernels } from '../backend/registry.js';
import type { Backend } from '../backend/backend.js';
import { recordKernelCalls, type RecordedCall } from '../backend/kernel-recording.js';
import type { FloatArray } from '../tensor/dtype.js';
import { claimInferenceBuffers, returnInferenceBuffers } from '../tensor/inference-buffer-pool.js';
import { Tensor } from '../tensor/tensor.js';
import { ReLU, ReLU6 } from './activation-layers.js';
import { Conv2d } from './conv.js';
import { Dropout, Dropout2d } from './dropout.js';
import { isStockContainer } from './inference-liveness.js';
import { layerStateEpoch } from './layer-state-epoch.js';
import { Linear } from './linear.js';
import { Add } from './merge.js';
import type { Module } from './module.js';
import { BatchNorm2d } from './normalization.js';
import { AdaptiveAvgPool2d, MaxPool2d } from './pooling.js';
import { Flatten, Identity } from './reshape-layers.js';

// Inference plans: the fused inference forward of a container (Sequential, Graph) under `noGrad`,
// once it has run twice on inputs of one shape with the same layers and weights, is recorded as the
// list of its kernel calls (backend/kernel-recording.ts); later forwards with that shape run the
// list, with the input's and the output's storage swapped in, instead of walking the layers. The
// JavaScript between kernels (the layer tree, geometry look-ups, buffer-pool traffic, tensors for
// every intermediate value) then no longer runs on every forward: on a model of small kernels
// (MobileNetV2 at batch 1) it cost as much as a tenth of the forward, most of it memory stalls after
// each kernel had pushed the layers' objects out of the caches.
//
// The intermediate values keep the storage the recorded forward gave them (taken out of the
// inference buffer pool for the plan's sole use: the recorded forward already reused storage
// whose value was dead, so the plan runs in as little memory as that forward). Each forward gets
// its own fresh output arrays.
//
// A plan is used only while everything the recorded forward depended on still holds:
// - the layer-state epoch (modes, hooks, children, fused activations: layer-state-epoch.ts),
// - the backend, and the inputs' shapes and dtypes,
// - every parameter and buffer of every layer: the same tensor, storage and `version` (an
//   optimizer step, `loadStateDict`, `markChanged` move the version; folded batch norms and
//   prepared weights are derived from these). As for the fused convolutions' folded and prepared
//   weights, values written straight into a parameter's storage need `markChanged()` to be seen.
// Otherwise the container runs its forward as usual (and records a new plan when that repeats).
// Only containers made entirely of layers whose inference forward does all its arithmetic in
// recorded calls qualify (PLANNABLE below, every layer in evaluation mode, no hooks); any other
// layer anywhere in the tree keeps the container on its usual forward.

/** Layers whose forward in evaluation mode under `noGrad` computes only through recorded calls. */
const PLANNABLE_LAYERS: ReadonlySet<object> = new Set<object>(
  [Conv2d, ReLU, ReLU6, MaxPool2d, Flatten, Identity, Dropout, Dropout2d, Linear, Add].map(
    (c) => c.prototype,
  ),
);

/** BatchNorm2d with running statistics (without them, evaluation mode normalizes by each batch's own, computed in TypeScript). */
function isRunningBatchNorm(m: Module): boolean {
  return (
    Object.getPrototypeOf(m) === BatchNorm2d.prototype &&
    m.getBuffer('running_mean') !== null &&
    m.getBuffer('running_var') !== null
  );
}

/** AdaptiveAvgPool2d to one value per channel (a sum kernel and a recorded division); other sizes loop in TypeScript. */
function isGlobalAverage(m: Module): boolean {
  if (!(m instanceof AdaptiveAvgPool2d) || Object.getPrototypeOf(m) !== AdaptiveAvgPool2d.prototype)
    return false;
  const s = m.outputSize as unknown;
  return s === 1 || (Array.isArray(s) && s.length === 2 && s[0] === 1 && s[1] === 1);
}

/** Whether `m` and everything under it run their inference forward through recorded calls only. */
function plannable(m: Module): boolean {
  if (m.training || m.hasForwardHooks) return false;
  const proto = Object.getPrototypeOf(m) as object;
  if (PLANNABLE_LAYERS.has(proto) || isGlobalAverage(m) || isRunningBatchNorm(m)) return true;
  if (!isStockContainer(m)) return false;
  for (const [, c] of m.namedChildren()) if (!plannable(c)) return false;
  return true;
}

/** A parameter or buffer a plan depends on, and how it was when the plan was recorded. */
interface Source {
  readonly module: Module;
  readonly name: string;
  readonly buffer: boolean;
  readonly tensor: Tensor;
  readonly data: FloatArray;
  readonly version: number;
}

function sourcesOf(root: Module): Source[] {
  const out: Source[] = [];
  for (const m of root.modules()) {
    for (const [name, t] of m.ownParameters())
      out.push({ module: m, name, buffer: false, tensor: t, data: t.data, version: t.version });
    for (const [name, t] of m.ownBuffers())
      out.push({ module: m, name, buffer: true, tensor: t, data: t.data, version: t.version });
  }
  return out;
}

function sourcesUnchanged(sources: readonly Source[]): boolean {
  for (const s of sources) {
    const t = s.buffer
      ? s.module.getBuffer(s.name)
      : (s.module as unknown as Record<string, unknown>)[s.name];
    if (t !== s.tensor || s.tensor.data !== s.data || s.tensor.version !== s.version) return false;
  }
  return true;
}

/** Where a recorded call's array argument comes from on each forward. */
interface Substitution {
  /** Position in the call's arguments. */
  readonly arg: number;
  /** Property of that argument (an options object such as a convolution's epilogue), or null for the argument itself. */
  readonly key: string | null;
  /** Which input (`input` true) or output. */
  readonly input: boolean;
  readonly index: number;
  /** For an input: the view's byte offset into the input's storage (-1: the input's array itself) and length. */
  readonly byteOffset: number;
  readonly length: number;
}

interface PlanCall {
  readonly call: RecordedCall;
  readonly subs: readonly Substitution[];
}

/** The shape key a plan, or the wish to record one, is tied to. */
interface Key {
  /** The parameters and buffers as they were (a plan is recorded only when they held between two forwards). */
  readonly sources: readonly Source[];
  readonly epoch: number;
  readonly backend: Backend;
  readonly shapes: readonly (readonly number[])[];
  readonly dtypes: readonly string[];
}

interface Plan {
  readonly key: Key;
  readonly calls: readonly PlanCall[];
  /** The buffer pool's storage the plan took for its intermediate values (given back when it no longer holds). */
  readonly owned: readonly ArrayBuffer[];
  /** The outputs: shape and a fresh array of the recorded one's type and length per forward. */
  readonly outputs: readonly { shape: readonly number[]; float64: boolean; length: number }[];
}

interface PlanState {
  plan: Plan | null;
  /**
   * The key of the last forward that ran without a plan: a second forward with it (and with the
   * same weights: a model whose weights change between forwards records nothing) records one.
   */
  seen: Key | null;
  /** The layer-state epoch of `eligible`. */
  epoch: number;
  eligible: boolean;
}

const states = new WeakMap<Module, PlanState>();
/** Plans recorded and forwards run from a plan, since the process started. */
const counts = { recorded: 0, replayed: 0 };

/** @internal How many inference plans were recorded and how many forwards replayed one (for tests). */
export function inferencePlanCounts(): { recorded: number; replayed: number } {
  return { ...counts };
}
/** Containers running inside a planned or recorded forward run as usual. */
let depth = 0;

function sameKey(k: Key, epoch: number, backend: Backend, inputs: readonly Tensor[]): boolean {
  if (k.epoch !== epoch || k.backend !== backend || k.shapes.length !== inputs.length) return false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i]!;
    const s = k.shapes[i]!;
    if (t.dtype !== k.dtypes[i] || t.shape.length !== s.length) return false;
    for (let d = 0; d < s.length; d++) if (t.shape[d] !== s[d]) return false;
  }
  return true;
}

function isFloatArray(v: unknown): v is FloatArray {
  return v instanceof Float32Array || v instanceof Float64Array;
}

/**
 * Turn a recorded forward into a plan, or return null when its calls cannot be repeated with other
 * inputs and outputs (storage shared between an input and an output, an output no call wrote, an
 * input's storage read outside the input).
 */
function buildPlan(
  key: Key,
  calls: readonly RecordedCall[],
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
): Plan | null {
  const inputBuffers = inputs.map((t) => t.data.buffer);
  const outputBuffers = outputs.map((t) => t.data.buffer);
  for (const b of outputBuffers) if (inputBuffers.includes(b)) return null;
  if (new Set(outputBuffers).size !== outputBuffers.length) return null;
  if (new Set(inputBuffers).size !== inputBuffers.length) return null;
  // Storage the outputs share with earlier intermediate values gets a stand-in the plan owns (the
  // caller keeps the recorded forward's output).
  const standIns = new Map<ArrayBufferLike, ArrayBuffer>();
  const written = new Set<number>();
  const kept = new Set<ArrayBufferLike>();
  let ok = true;
  /** The fixed array to pass for `v`, or a substitution; null when the plan cannot hold it. */
  const classify = (
    v: FloatArray | Int32Array,
    arg: number,
    key: string | null,
    subs: Substitution[],
  ): unknown => {
    const b = v.buffer;
    const i = inputBuffers.indexOf(b);
    if (i >= 0) {
      const x = inputs[i]!.data;
      const rel = v.byteOffset - x.byteOffset;
      const inside = rel >= 0 && rel + v.byteLength <= x.byteLength && v.constructor === x.constructor;
      if (!inside) ok = false;
      subs.push({ arg, key, input: true, index: i, byteOffset: v === x ? -1 : rel, length: v.length });
      return null; // (swapped in on every forward: the plan keeps no reference to the recorded input)
    }
    const o = outputBuffers.indexOf(b);
    if (o >= 0) {
      const y = outputs[o]!.data;
      if (v.byteOffset === y.byteOffset && v.length === y.length && v.constructor === y.constructor) {
        written.add(o);
        subs.push({ arg, key, input: false, index: o, byteOffset: 0, length: v.length });
        return null;
      }
      const overlaps =
        v.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < v.byteOffset + v.byteLength;
      // Another value in the same storage: one that died before the output was made (the pool
      // handed the storage on) gets the stand-in; one overlapping the output after it was first
      // written (calls come in order) cannot be told apart from it.
      if (overlaps && written.has(o)) ok = false;
      let s = standIns.get(b);
      if (!s) standIns.set(b, (s = new ArrayBuffer(b.byteLength)));
      const Ctor = v.constructor as new (b: ArrayBuffer, offset: number, length: number) => typeof v;
      return new Ctor(s, v.byteOffset, v.length);
    }
    kept.add(b);
    return v;
  };
  const planCalls: PlanCall[] = [];
  for (const call of calls) {
    const subs: Substitution[] = [];
    const args = call.args.map((a, ai) => {
      if (isFloatArray(a) || a instanceof Int32Array) return classify(a, ai, null, subs);
      if (a === null || typeof a !== 'object' || Array.isArray(a) || ArrayBuffer.isView(a)) return a;
      if (Object.getPrototypeOf(a) !== Object.prototype) return a;
      // An options object (a convolution's epilogue): its arrays too.
      let copy: Record<string, unknown> | null = null;
      for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
        if (!isFloatArray(v) && !(v instanceof Int32Array)) continue;
        const fixed = classify(v, ai, k, subs);
        if (fixed !== v) (copy ??= { ...(a as Record<string, unknown>) })[k] = fixed;
      }
      return copy ?? a;
    });
    planCalls.push({ call: { fn: call.fn, self: call.self, args }, subs });
  }
  if (!ok || written.size !== outputs.length) return null;
  return {
    key,
    owned: claimInferenceBuffers(kept),
    calls: planCalls,
    outputs: outputs.map((t) => ({
      shape: [...t.shape],
      float64: t.data instanceof Float64Array,
      length: t.data.length,
    })),
  };
}

function argFor(s: Substitution, inputs: readonly Tensor[], outs: readonly FloatArray[]): FloatArray {
  if (!s.input) return outs[s.index]!;
  const x = inputs[s.index]!.data;
  if (s.byteOffset < 0) return x;
  return x instanceof Float64Array
    ? new Float64Array(x.buffer, x.byteOffset + s.byteOffset, s.length)
    : new Float32Array(x.buffer, x.byteOffset + s.byteOffset, s.length);
}

function replay(plan: Plan, inputs: readonly Tensor[]): Tensor[] {
  const outs = plan.outputs.map((o) => (o.float64 ? new Float64Array(o.length) : new Float32Array(o.length)));
  for (const { call, subs } of plan.calls) {
    let args = call.args;
    if (subs.length > 0) {
      const a = [...args];
      for (const s of subs) {
        const v = argFor(s, inputs, outs);
        if (s.key === null) a[s.arg] = v;
        else a[s.arg] = { ...(a[s.arg] as Record<string, unknown>), [s.key]: v };
      }
      args = a;
    }
    (call.fn as (...args: unknown[]) => unknown).apply(call.self, args as unknown[]);
  }
  return plan.outputs.map((o, i) => new Tensor(outs[i]!, o.shape));
}

/**
 * The fused inference forward of `container` on `inputs`: its plan when one holds, else `forward`
 * (the container's usual fused forward), recorded into a plan when it is the second in a row with
 * the same key. Containers inside another's forward run `forward`.
 */
export function runPlanned(container: Module, inputs: readonly Tensor[], forward: () => Tensor[]): Tensor[] {
  if (depth > 0) return forward();
  depth++;
  try {
    const epoch = layerStateEpoch();
    const backend = kernels();
    let state = states.get(container);
    if (state === undefined) {
      state = { plan: null, seen: null, epoch: -1, eligible: false };
      states.set(container, state);
    }
    const plan = state.plan;
    if (plan !== null && sameKey(plan.key, epoch, backend, inputs) && sourcesUnchanged(plan.key.sources)) {
      counts.replayed++;
      return replay(plan, inputs);
    }
    if (plan !== null) {
      // It no longer holds: its storage goes back to the pool for the forwards that follow.
      state.plan = null;
      returnInferenceBuffers(plan.owned);
    }
    if (state.epoch !== epoch) {
      state.eligible = plannable(container);
      state.epoch = epoch;
    }
    if (!state.eligible) return forward();
    if (
      state.seen === null ||
      !sameKey(state.seen, epoch, backend, inputs) ||
      !sourcesUnchanged(state.seen.sources)
    ) {
      state.seen = {
        sources: sourcesOf(container),
        epoch,
        backend,
        shapes: inputs.map((t) => [...t.shape]),
        dtypes: inputs.map((t) => t.dtype),
      };
      return forward();
    }
    const key = state.seen;
    const { value, calls } = recordKernelCalls(forward);
    state.plan = calls ? buildPlan(key, calls, inputs, value) : null;
    state.seen = null;
    // Calls that cannot be repeated stay so until the layers change: record no more of them.
    if (state.plan === null) state.eligible = false;
    else counts.recorded++;
    return value;
  } finally {
    depth--;
  }
}
