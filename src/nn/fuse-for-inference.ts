import { ValueError } from '../errors.js';
import type { FusedActivation } from '../ops/fused-activation.js';
import { zeros } from '../tensor/creation.js';
import { ReLU, ReLU6 } from './activation-layers.js';
import { foldBatchNormInto, isFoldableBatchNorm } from './batch-norm-folding.js';
import { Conv2d } from './conv.js';
import { Graph, type GraphStep } from './graph.js';
import { Add } from './merge.js';
import type { Module } from './module.js';
import { BatchNorm2d } from './normalization.js';
import { Parameter } from './parameter.js';
import { Identity } from './reshape-layers.js';
import { Sequential } from './sequential.js';

/** What {@link fuseForInference} changed. */
export interface FusionReport {
  /** Batch norms folded into the convolution before them (now `Identity`). */
  batchNormsFolded: number;
  /** ReLU/ReLU6 layers moved into the convolution or sum before them (now `Identity` there). */
  activationsFused: number;
}

/**
 * Rewrite a model for inference, in place, the way inference engines (onnxruntime, TensorRT) do
 * at load time: every `BatchNorm2d` that directly follows a `Conv2d` is folded into the
 * convolution's weights and bias (w' = w·γ/√(var+ε), b' = (b − mean)·γ/√(var+ε) + β), and every
 * `ReLU`/`ReLU6` that directly follows a convolution or an `Add` becomes that layer's in-place
 * `activation`. The replaced layers become `Identity`. Outputs stay the same up to float rounding
 * and inference does fewer passes over memory and allocates less.
 *
 * Rewrites happen inside {@link Sequential} and {@link Graph} containers (which covers the model
 * zoo); a custom module's own `forward` code is left as it is. A layer applied at several places
 * (shared weights) is not changed, nor is an output that something else also reads.
 *
 * The model must be in evaluation mode (`model.eval()`): folding uses the running statistics, so
 * the fused model is for inference. Training it afterwards would train without batch norm, so
 * fuse a copy when the original will be trained further:
 * `st.decodeModelFile(st.encodeModelFile(model)).model`.
 *
 * Every `Conv2d` of the model (fused or not) is also marked for inference
 * (`Conv2d.prepackWeights`): in evaluation mode the backend keeps its weights prepared between
 * calls (the native backend packs the weights of its GEMM-based kernels once instead of on every
 * forward). Changes made through an optimizer step, `loadStateDict`, the `nn.init` functions or a
 * change of backend are picked up; writes straight into `weight.data` are not, so call
 * `conv.weight.markChanged()` after them (or set `conv.prepackWeights = false`).
 *
 * @returns what was fused.
 * @example
 * ```ts
 * const model = st.models.resnet18().eval();
 * const report = st.fuseForInference(model); // { batchNormsFolded: 20, activationsFused: 17 }
 * ```
 */
export function fuseForInference(model: Module): FusionReport {
  const training = model.namedModules().find(([, m]) => m.training);
  if (training) {
    throw new ValueError(
      'fuseForInference',
      `the model is in training mode (${training[0] === '' ? 'the model itself' : `'${training[0]}'`}); folding batch norm uses its running statistics. ` +
        'Fix: call model.eval() first',
    );
  }
  const uses = countUses(model);
  const report: FusionReport = { batchNormsFolded: 0, activationsFused: 0 };
  for (const m of model.modules()) {
    if (m instanceof Conv2d) m.prepackWeights = true;
    if (m instanceof Graph && !overridesForward(m, Graph)) fuseGraph(m, uses, report);
    else if (m instanceof Sequential && !overridesForward(m, Sequential)) fuseSequential(m, uses, report);
  }
  return report;
}

/** How many places (graph nodes, container slots) apply each module. */
function countUses(model: Module): Map<Module, number> {
  const uses = new Map<Module, number>();
  const seen = new Set<Module>();
  const bump = (m: Module): void => void uses.set(m, (uses.get(m) ?? 0) + 1);
  const visit = (m: Module): void => {
    if (seen.has(m)) return;
    seen.add(m);
    if (m instanceof Graph) {
      for (const s of m.nodes()) if (s.module) bump(s.module);
    } else {
      for (const [, c] of m.namedChildren()) bump(c);
    }
    for (const [, c] of m.namedChildren()) visit(c);
  };
  bump(model);
  visit(model);
  return uses;
}

/** Whether a subclass of `base` replaces its forward (its data flow is then not the container's). */
function overridesForward(m: Module, base: typeof Graph | typeof Sequential): boolean {
  for (
    let p = Object.getPrototypeOf(m) as object;
    p !== base.prototype;
    p = Object.getPrototypeOf(p) as object
  ) {
    if (Object.prototype.hasOwnProperty.call(p, 'forward')) return true;
  }
  return false;
}

/** A batch norm with running statistics, which a convolution can absorb. */
function foldable(bn: Module, conv: Conv2d): bn is BatchNorm2d {
  return isFoldableBatchNorm(bn, conv.outChannels);
}

/** Scale the convolution's filters and shift its bias so that it computes bn(conv(x)). */
function foldBatchNorm(conv: Conv2d, bn: BatchNorm2d): void {
  if (!conv.bias) conv.bias = new Parameter(zeros([conv.outChannels], { dtype: conv.weight.dtype }));
  const w = conv.weight.data;
  const b = conv.bias.data;
  foldBatchNormInto(w, b, bn, { weight: w, bias: b });
  conv.weight.markChanged();
  conv.bias.markChanged();
}

/** The activation a layer can take over, or null. */
function activationOf(m: Module | null | undefined): FusedActivation | null {
  if (m instanceof ReLU) return 'relu';
  if (m instanceof ReLU6) return 'relu6';
  return null;
}

function fuseSequential(seq: Sequential, uses: Map<Module, number>, report: FusionReport): void {
  const kids = seq.namedChildren();
  // The next slot after i that is not an Identity.
  const next = (i: number): number => {
    let j = i + 1;
    while (j < kids.length && kids[j]![1] instanceof Identity) j++;
    return j;
  };
  const replace = (j: number): void => {
    const identity = new Identity();
    seq.setSubmodule(kids[j]![0], identity);
    kids[j] = [kids[j]![0], identity];
  };
  for (let i = 0; i < kids.length; i++) {
    const conv = kids[i]![1];
    if (!(conv instanceof Conv2d) || conv.activation !== null || uses.get(conv) !== 1) continue;
    let j = next(i);
    const bn = kids[j]?.[1];
    if (bn && foldable(bn, conv) && uses.get(bn) === 1) {
      foldBatchNorm(conv, bn);
      replace(j);
      report.batchNormsFolded++;
      j = next(j);
    }
    const act = activationOf(kids[j]?.[1]);
    if (act) {
      conv.activation = act;
      replace(j);
      report.activationsFused++;
    }
  }
}

function fuseGraph(g: Graph, uses: Map<Module, number>, report: FusionReport): void {
  const steps = g.nodes().map((s) => ({ ...s }) as { -readonly [K in keyof GraphStep]: GraphStep[K] });
  const byName = new Map(steps.map((s) => [s.name, s]));
  const readers = new Map<string, number>();
  for (const s of steps) for (const i of s.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of g.outputNames) readers.set(o, (readers.get(o) ?? 0) + 1);
  const soleReader = (name: string): boolean => readers.get(name) === 1;
  const replace = (stepName: string): void => {
    const identity = new Identity();
    g.replaceNodeModule(stepName, identity);
    byName.get(stepName)!.module = identity;
  };

  for (const s of steps) {
    const bn = s.module;
    if (!(bn instanceof BatchNorm2d) || s.inputs.length !== 1 || uses.get(bn) !== 1) continue;
    const producer = byName.get(s.inputs[0]!)!;
    const conv = producer.module;
    if (!(conv instanceof Conv2d) || conv.activation !== null || uses.get(conv) !== 1) continue;
    if (!soleReader(producer.name) || !foldable(bn, conv)) continue;
    foldBatchNorm(conv, bn);
    replace(s.name);
    report.batchNormsFolded++;
  }

  for (const s of steps) {
    const act = activationOf(s.module);
    if (!act || s.inputs.length !== 1) continue;
    // Walk back through pass-through nodes, each read only by the next.
    let producer = byName.get(s.inputs[0]!)!;
    let ok = soleReader(producer.name);
    while (ok && producer.module instanceof Identity && producer.inputs.length === 1) {
      producer = byName.get(producer.inputs[0]!)!;
      ok = soleReader(producer.name);
    }
    const layer = producer.module;
    if (!ok || !(layer instanceof Conv2d || layer instanceof Add)) continue;
    if (layer.activation !== null || uses.get(layer) !== 1) continue;
    layer.activation = act;
    replace(s.name);
    report.activationsFused++;
  }
}
