import { isGradEnabled } from '../autograd/grad-mode.js';
import { activateInPlace, type FusedActivation } from '../ops/fused-activation.js';
import type { Tensor } from '../tensor/tensor.js';
import { ReLU, ReLU6 } from './activation-layers.js';
import { isFoldableBatchNorm } from './batch-norm-folding.js';
import { Conv2d, isZeroPadding } from './conv.js';
import { Add } from './merge.js';
import { keepsNoValues, releaseDeadValue } from './inference-liveness.js';
import { runAsLayer, type Module } from './module.js';
import { BatchNorm2d } from './normalization.js';
import { Identity, ZeroPad2d } from './reshape-layers.js';
import { Sequential } from './sequential.js';

// What `Sequential` and `Graph` run differently under `noGrad` (fast by default in inference):
// conv -> batch norm -> ReLU/ReLU6 chains whose layers are all in evaluation mode run as one
// convolution with the batch norm folded into its weights (prepared once per weight version) and
// the activation applied in place; a sum followed by ReLU/ReLU6 activates the fresh sum in place;
// in graphs, a ZeroPad2d read only by an unpadded convolution becomes that convolution's padding
// (Keras' stride-2 blocks pad explicitly: copying the padded input cost as much as the convolution),
// and a conv (-> batch norm) whose only reader is a two-input sum (ResNet's residual add, optionally
// followed by ReLU) runs as one convolution that also adds the other input and applies the ReLU as
// it writes its output, when that other input is computed before the convolution; that holds too
// for a plain Sequential step ending in conv (-> batch norm) (MobileNetV2's inverted residual, a
// projection shortcut): its other layers run first, then the convolution with the sum. Dead
// intermediate feature maps go back to the inference buffer pool (see inference-liveness.ts).
// The values are those of the layers run one by one, up to float rounding. Only layers of exactly
// these classes, without hooks, are merged, so subclasses and hooks see what they always saw.

/** Whether containers run their layers through the fused inference path now. */
export function fusedInferenceActive(): boolean {
  return !isGradEnabled();
}

/** `m` is exactly of class `cls` (not a subclass, whose forward may differ), in evaluation mode, without hooks. */
function plainLayer(m: Module | null | undefined, cls: abstract new (...a: never[]) => Module): boolean {
  return (
    m !== null &&
    m !== undefined &&
    Object.getPrototypeOf(m) === cls.prototype &&
    !m.training &&
    !m.hasForwardHooks
  );
}

/** An Identity layer without hooks (in either mode: fuseForInference inserts them in training mode). */
function passThrough(m: Module | null | undefined): boolean {
  return (
    m !== null && m !== undefined && Object.getPrototypeOf(m) === Identity.prototype && !m.hasForwardHooks
  );
}

function fusableConv(m: Module | null | undefined): m is Conv2d {
  return plainLayer(m, Conv2d) && (m as Conv2d).activation === null;
}

function fusableBatchNorm(m: Module | null | undefined, conv: Conv2d): m is BatchNorm2d {
  return plainLayer(m, BatchNorm2d) && isFoldableBatchNorm(m, conv.outChannels);
}

function fusableActivation(m: Module | null | undefined): FusedActivation | null {
  if (plainLayer(m, ReLU)) return 'relu';
  if (plainLayer(m, ReLU6)) return 'relu6';
  return null;
}

/** A convolution, the batch norm after it (or null) and the activation after those (or null). */
export interface FusedConvChain {
  conv: Conv2d;
  bn: BatchNorm2d | null;
  activation: FusedActivation | null;
}

/** The fused chain starting at `layers[i]` and how many layers it covers, or null. */
export function chainAt(layers: readonly Module[], i: number): (FusedConvChain & { length: number }) | null {
  const conv = layers[i];
  if (!fusableConv(conv)) return null;
  let j = i + 1;
  const next = layers[j];
  const bn = fusableBatchNorm(next, conv) ? next : null;
  if (bn) j++;
  const activation = fusableActivation(layers[j]);
  if (activation) j++;
  return j === i + 1 ? null : { conv, bn, activation, length: j - i };
}

/** How a graph step runs in fused inference: as a chain, a sum with its activation, or as its input. */
export type FusedStep =
  | ({ kind: 'conv'; padding?: readonly [number, number, number, number] } & FusedConvChain)
  | { kind: 'add'; add: Add; activation: FusedActivation }
  | ConvAddStep
  | { kind: 'alias'; arg?: number };

/**
 * A convolution (and batch norm) whose output is summed with the value of step `residual`, then
 * ReLU'd when `relu` is set, run as one kernel call; the sum's step becomes an alias of it.
 * `convFirst` and `after` let it fall back to the layers' own forwards (see runFusedStep).
 */
export interface ConvAddStep {
  kind: 'convAdd';
  conv: Conv2d;
  bn: BatchNorm2d | null;
  add: Add;
  residual: number;
  convFirst: boolean;
  /** The activation layer after the sum (merged into the step), or null. */
  after: FusedActivation | null;
  relu: boolean;
  /**
   * When the convolution (and batch norm) end a Sequential step (MobileNetV2's inverted residual
   * block: expansion, depthwise, projection): that Sequential, whose first `leadEnd` layers run
   * before the convolution.
   */
  lead?: Sequential;
  leadEnd?: number;
}

/** The convolution (and batch norm) that end a plain Sequential, with the index of the convolution. */
interface SequentialTail {
  seq: Sequential;
  conv: Conv2d;
  bn: BatchNorm2d | null;
  end: number;
}

/** A plain Sequential (eval mode, no hooks) ending in a convolution without activation, then maybe a batch norm. */
function sequentialTail(m: Module | null): SequentialTail | null {
  if (!plainLayer(m, Sequential)) return null;
  const seq = m as Sequential;
  // Pass-through layers at the end (fuseForInference leaves an Identity where it folded a batch norm).
  let n = seq.length;
  while (n > 0 && passThrough(seq.at(n - 1))) n--;
  const last = n > 0 ? seq.at(n - 1) : null;
  if (fusableConv(last)) return { seq, conv: last, bn: null, end: n - 1 };
  const conv = n > 1 ? seq.at(n - 2) : null;
  if (fusableConv(conv) && fusableBatchNorm(last, conv)) return { seq, conv, bn: last, end: n - 2 };
  return null;
}

/** The shape of a graph step that planning reads. */
export interface PlannedStep {
  readonly module: Module | null;
  readonly inputs: readonly number[];
}

/**
 * The fused inference plan of a graph's steps (in topological order): per step, how it runs, or
 * undefined to run its layer as usual. A step is merged into the one before it only when it is
 * that step's only reader and the value is not a graph output.
 */
export function planGraph(
  steps: readonly PlannedStep[],
  outputs: readonly number[],
): (FusedStep | undefined)[] {
  const readers = steps.map(() => 0);
  const reader = steps.map(() => -1);
  steps.forEach((s, i) => {
    for (const j of s.inputs) {
      readers[j]!++;
      reader[j] = i;
    }
  });
  for (const o of outputs) readers[o]!++;
  // The step that alone reads step i's value through its only input, or -1.
  const soleReader = (i: number): number => {
    const r = reader[i]!;
    return readers[i] === 1 && r >= 0 && steps[r]!.inputs.length === 1 ? r : -1;
  };
  const plan: (FusedStep | undefined)[] = steps.map(() => undefined);
  // The sum step that alone reads step i's value, as one of exactly two inputs, or -1.
  const soleSum = (i: number): number => {
    const r = reader[i]!;
    if (readers[i] !== 1 || r < 0) return -1;
    const s = steps[r]!;
    return s.inputs.length === 2 && s.inputs[0] !== s.inputs[1] && plainLayer(s.module, Add) ? r : -1;
  };
  // conv (-> bn) -> two-input sum (-> ReLU) with the sum's other input computed before the conv.
  // `tail`: the convolution ends the Sequential of step i (the batch norm, if any, is inside it too).
  const planConvAdd = (i: number, conv: Conv2d, tail: SequentialTail | null = null): boolean => {
    const j = tail ? -1 : soleReader(i);
    const next = j >= 0 ? steps[j]!.module : null;
    const bn = tail ? tail.bn : fusableBatchNorm(next, conv) ? next : null;
    let h = j >= 0 && bn ? j : i;
    // Pass-through layers in between (fuseForInference leaves an Identity where it folded a batch norm).
    const passed: number[] = [];
    for (let r = soleReader(h); r >= 0 && passThrough(steps[r]!.module); r = soleReader(h)) {
      passed.push(r);
      h = r;
    }
    if (soleReader(h) >= 0 && fusableActivation(steps[soleReader(h)]!.module)) return false;
    const a = soleSum(h);
    if (a < 0) return false;
    const add = steps[a]!.module as Add;
    const pos = steps[a]!.inputs.indexOf(h);
    const residual = steps[a]!.inputs[1 - pos]!;
    if (residual >= i) return false;
    const k = soleReader(a);
    const after = k >= 0 ? fusableActivation(steps[k]!.module) : null;
    // The kernel's epilogue does ReLU only; a ReLU6 anywhere keeps the usual plan.
    if (add.activation === 'relu6' || after === 'relu6' || (add.activation !== null && after !== null))
      return false;
    plan[i] = {
      kind: 'convAdd',
      conv,
      bn,
      add,
      residual,
      convFirst: pos === 0,
      after,
      relu: add.activation === 'relu' || after === 'relu',
      ...(tail ? { lead: tail.seq, leadEnd: tail.end } : {}),
    };
    if (bn && j >= 0) plan[j] = { kind: 'alias' };
    for (const r of passed) plan[r] = { kind: 'alias' };
    plan[a] = { kind: 'alias', arg: pos };
    if (after) plan[k] = { kind: 'alias' };
    return true;
  };
  // Step index of a convolution -> the ZeroPad2d before it, as [top, bottom, left, right].
  const padOf = new Map<number, [number, number, number, number]>();
  steps.forEach((s, i) => {
    if (plan[i]) return;
    const m = s.module;
    if (plainLayer(m, ZeroPad2d) && s.inputs.length === 1) {
      const [left, right, top, bottom] = (m as ZeroPad2d).padding;
      const j = soleReader(i);
      const conv = j >= 0 ? steps[j]!.module : null;
      if (Math.min(left, right, top, bottom) >= 0 && fusableConv(conv) && isZeroPadding(conv.padding)) {
        plan[i] = { kind: 'alias' };
        padOf.set(j, [top, bottom, left, right]);
      }
    } else if (fusableConv(m) && s.inputs.length === 1) {
      const padding = padOf.get(i);
      // A merged zero padding keeps the plain conv chain (the residual kernel takes the layer's own).
      if (!padding && planConvAdd(i, m)) return;
      const j = soleReader(i);
      const next = j >= 0 ? steps[j]!.module : null;
      const bn = fusableBatchNorm(next, m) ? next : null;
      const k = soleReader(bn ? j : i);
      const activation = k >= 0 ? fusableActivation(steps[k]!.module) : null;
      if (!bn && !activation && !padding) return;
      plan[i] = { kind: 'conv', conv: m, bn, activation, ...(padding ? { padding } : {}) };
      if (bn) plan[j] = { kind: 'alias' };
      if (activation) plan[k] = { kind: 'alias' };
    } else if (s.inputs.length === 1 && plainLayer(m, Sequential)) {
      const tail = sequentialTail(m);
      if (tail) planConvAdd(i, tail.conv, tail);
    } else if (plainLayer(m, Add) && (m as Add).activation === null && s.inputs.length >= 2) {
      const k = soleReader(i);
      const activation = k >= 0 ? fusableActivation(steps[k]!.module) : null;
      if (!activation) return;
      plan[i] = { kind: 'add', add: m as Add, activation };
      plan[k] = { kind: 'alias' };
    }
  });
  return plan;
}

/**
 * Everything {@link planGraph} reads of the steps' layers besides the wiring, flattened into `out`
 * (cleared first): per step its layer, training mode, whether it has hooks, its fused activation
 * (Conv2d, Add) and a batch norm's running statistics (their presence and size decide folding).
 * A plan made for the same wiring stays valid while this list is unchanged (element by element):
 * weight values and versions do not enter the plan (Conv2d prepares and folds its weights again
 * when their version changes).
 */
export function planInputs(steps: readonly PlannedStep[], out: unknown[]): unknown[] {
  out.length = 0;
  for (const s of steps) {
    const m = s.module;
    if (!m) {
      out.push(null);
      continue;
    }
    pushPlanState(m, out);
    // A Sequential step's tail convolution (and batch norm) can take the residual sum: its layers
    // are part of the plan too (fuseForInference swaps them in place).
    if (m instanceof Sequential) {
      out.push(m.length);
      for (let k = 0; k < m.length; k++) pushPlanState(m.at(k), out);
    }
  }
  return out;
}

/** What of one layer the plan depends on: the layer itself, its mode, hooks, activation, statistics. */
function pushPlanState(m: Module, out: unknown[]): void {
  out.push(m, m.training, m.hasForwardHooks);
  if (m instanceof Conv2d || m instanceof Add) out.push(m.activation);
  if (m instanceof BatchNorm2d) out.push(m.getBuffer('running_mean'), m.getBuffer('running_var'));
}

/** Whether two {@link planInputs} lists are equal element by element. */
export function samePlanInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Run one planned graph step on its input values; `value(j)` is the value of an earlier step (the
 * residual of a 'convAdd' step).
 */
export function runFusedStep(step: FusedStep, args: readonly Tensor[], value: (j: number) => Tensor): Tensor {
  switch (step.kind) {
    case 'alias':
      return args[step.arg ?? 0]!;
    case 'convAdd': {
      const r = value(step.residual);
      const lead = step.lead;
      const x = lead
        ? runAsLayer(lead, args, () => lead.forwardFusedPrefix(args[0]!, step.leadEnd!))
        : args[0]!;
      let y = step.conv.forwardFusedResidual(x, step.bn, r, step.relu);
      if (!y) {
        // The residual broadcasts: the layers' own forwards, in the sum's input order.
        const h = step.conv.forwardFused(x, step.bn, null);
        const sum = step.add.forward(...(step.convFirst ? [h, r] : [r, h]));
        y = step.after ? activateInPlace(sum, step.after) : sum;
      }
      // The lead layers' output, read by the convolution only.
      if (lead && x !== args[0] && keepsNoValues(lead)) releaseDeadValue(x, [y, args[0]!, r]);
      return y;
    }
    case 'conv':
      return step.conv.forwardFused(args[0]!, step.bn, step.activation, step.padding);
    case 'add':
      // A sum of two or more inputs is a fresh tensor that nothing else holds.
      return activateInPlace(step.add.forward(...args), step.activation);
  }
}
