import type { Module } from '../nn/module.js';
import { ReceptiveFieldAnalyzer, type ReceptiveField } from './receptive-field.js';
import {
  resolveInputShape,
  traceForward,
  type ForwardTrace,
  type ModuleCall,
  type TraceMode,
  type TraceOptions,
} from './trace.js';
import { effectiveKernel } from '../ops/geometry.js';
import { describeUnread, inputCoverage, unreadByKernel, type InputCoverage } from './unread-input.js';

/** One row of a {@link ModelSummary}: one run of a layer. */
export interface LayerSummary {
  /** Dotted module name (`'features.0'`), with `#2`, `#3` for later runs of a module that runs again. */
  name: string;
  /** The module's type (class) name. */
  type: string;
  /** Nesting depth in the model (1 for a direct child of the model). */
  depth: number;
  /** Shapes of the inputs, per image (without the batch dimension). */
  inputShapes: number[][];
  /** Shape of the output, per image. */
  outputShape: number[];
  /** Parameters of this layer (0 on later runs of a shared module: they are counted once). */
  params: number;
  /** Of which trained (requiresGrad). */
  trainableParams: number;
  /** Of which frozen. */
  nonTrainableParams: number;
  /** Values in the output, per image. */
  activationValues: number;
  /** Bytes of the output, per image. */
  activationBytes: number;
  /**
   * True when the output needs no memory of its own in the forward-activation total: it is a view
   * of an input (flatten, dropout in eval mode) or the layer is a parameter-free, shape-keeping,
   * element-wise step (ReLU, residual add) that frameworks run in place.
   */
  inPlace: boolean;
  /** Multiply-adds per image of the convolutions and matrix products this layer ran. */
  macs: number;
  /** Receptive field of the output units (null when the input has no spatial grid). */
  receptiveField: ReceptiveField | null;
  /** Problems noticed, such as input rows a stride leaves unread. */
  warnings: string[];
}

/** The memory a training step needs, estimated from the traced forward pass (see {@link summary}). */
export interface TrainingMemoryEstimate {
  /** Images per batch the estimate is for. */
  batchSize: number;
  /** Values the optimizer keeps per trained parameter (SGD 0, SGD with momentum 1, Adam 2). */
  optimizerSlots: number;
  /** The parameters. */
  paramBytes: number;
  /** One gradient per trained parameter. */
  gradientBytes: number;
  /** The optimizer's state. */
  optimizerBytes: number;
  /** Every layer output of the batch, kept by autograd for the backward pass. */
  activationBytes: number;
  /** Their gradients during the backward pass (an upper bound: many are freed early). */
  activationGradientBytes: number;
  /** The sum. */
  totalBytes: number;
}

/** A parameterized module that did not run in the traced forward pass. */
export interface NotRunModule {
  /** Dotted name. */
  name: string;
  /** Its parameters. */
  params: number;
}

/** What {@link summary} reports: per-layer rows and whole-model totals, all per image. */
export interface ModelSummary {
  /** The model's type name. */
  model: string;
  /** Per-image input shape. */
  inputShape: number[];
  /** Per-image shape of the model's output. */
  outputShape: number[];
  /** The mode it was traced in. */
  mode: TraceMode;
  /** Bytes per activation value (4 for float32). */
  bytesPerValue: number;
  /** The layers, in the order they finished (a container's own row after its children's). */
  layers: LayerSummary[];
  /** All parameters of the model, each shared tensor once (`model.numParameters()`). */
  totalParams: number;
  /** Parameters with requiresGrad. */
  trainableParams: number;
  /** Frozen parameters. */
  nonTrainableParams: number;
  /** Bytes of all parameters. */
  paramBytes: number;
  /** Values in buffers (batch-norm running statistics); not parameters, as in PyTorch. */
  bufferValues: number;
  /** Parameterized modules that did not run (e.g. GoogLeNet's auxiliary classifiers in eval mode). */
  notRun: NotRunModule[];
  /** Multiply-adds per image of all convolutions and matrix products. */
  macs: number;
  /** Values in the input image. */
  inputValues: number;
  /**
   * Forward activation memory per image, counted as the lecture decks' VGG16 table counts it: the
   * input plus each layer's output once, where in-place layers (see {@link LayerSummary.inPlace})
   * add nothing.
   */
  activationValues: number;
  /** {@link activationValues} in bytes. */
  activationBytes: number;
  /**
   * The input plus every layer output that has its own storage, in-place-able ones included: what
   * Stride (whose layers never run in place) and PyTorch without `inplace=True` keep for backward.
   */
  allOutputValues: number;
  /** {@link allOutputValues} in bytes. */
  allOutputBytes: number;
  /** Memory estimate for one training step. */
  training: TrainingMemoryEstimate;
  /** Every layer's warnings, prefixed with its name, plus model-level notes. */
  warnings: string[];
}

/** Options of {@link summary}. */
export interface SummaryOptions extends TraceOptions {
  /** Batch size of the training estimate (default 1: per image). */
  trainingBatchSize?: number;
  /** Optimizer values per trained parameter in the training estimate (default 1: SGD with momentum). */
  optimizerSlots?: number;
}

function perImage(shape: readonly number[]): number[] {
  return shape.slice(1);
}

/** Whether the call's output has storage of its own (not a view of one of its inputs). */
function ownsStorage(call: ModuleCall): boolean {
  return !call.inputs.some((t) => t.data === call.output!.data);
}

/**
 * Does this call get a row: every layer (leaf module), and a container whose own code did work
 * (owns parameters, ran a convolution or matrix product itself, or computed its output with
 * functional ops instead of returning a child's output).
 */
function isRow(call: ModuleCall): boolean {
  if (call.output === null) return false;
  if (call.isLeaf) return true;
  if (call.module.namedParameters({ recurse: false }).length > 0) return true;
  if (call.kernels.some((k) => k.macs > 0)) return true;
  return !call.children.some((c) => c.output === call.output) && !call.inputs.includes(call.output);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function layerRow(
  trace: ForwardTrace,
  call: ModuleCall,
  rf: ReceptiveFieldAnalyzer,
  counted: Set<Module>,
  coverage: ReadonlyMap<unknown, InputCoverage>,
  warned: Set<unknown>,
): LayerSummary {
  const out = call.output!;
  const bytesPer = out.data.BYTES_PER_ELEMENT;
  const first = !counted.has(call.module);
  counted.add(call.module);
  const params = first ? call.module.namedParameters({ recurse: call.isLeaf }) : [];
  let total = 0;
  let trainable = 0;
  for (const [, p] of params) {
    total += p.size;
    if (p.requiresGrad) trainable += p.size;
  }
  const inPlace =
    !ownsStorage(call) ||
    (call.kernels.length === 0 &&
      call.module.namedParameters().length === 0 &&
      call.inputs.some((t) => sameShape(t.shape, out.shape)));
  const warnings: string[] = [];
  for (const k of call.kernels) {
    if (k.kind !== 'conv2d' && k.kind !== 'maxPool2d' && k.kind !== 'avgPool2d') continue;
    // Warn once per input, where it is first read, and only for what no layer reading it reads.
    const cover = coverage.get(k.input);
    if (!cover || warned.has(k.input)) continue;
    warned.add(k.input);
    const parts = [describeUnread(cover.rows, 'row'), describeUnread(cover.cols, 'column')].filter(
      (x): x is string => x !== null,
    );
    if (parts.length === 0) continue;
    const p = k.params;
    const floored = (unreadByKernel(k)?.rows ?? 0) > 0 || (unreadByKernel(k)?.cols ?? 0) > 0;
    warnings.push(
      `its ${p.kH}x${p.kW} window with stride ${p.strideH === p.strideW ? p.strideH : `${p.strideH}x${p.strideW}`} ` +
        `never reads ${parts.join(' and ')} of its input: ` +
        `${floored ? 'the output size is floored' : 'its window is smaller than its stride'}, and no other layer reads them either. ` +
        'Fix: change the padding, stride or input size so that the windows cover the input, if those pixels matter',
    );
  }
  return {
    name: call.label,
    type: call.module.typeName,
    depth: call.depth,
    inputShapes: call.inputs.map((t) => perImage(t.shape)),
    outputShape: perImage(out.shape),
    params: total,
    trainableParams: trainable,
    nonTrainableParams: total - trainable,
    activationValues: out.size / trace.batchSize,
    activationBytes: (out.size / trace.batchSize) * bytesPer,
    inPlace,
    macs: call.kernels.reduce((s, k) => s + k.macs, 0) / trace.batchSize,
    receptiveField: rf.of(out),
    warnings,
  };
}

/**
 * Summarize a model the way the lecture decks tabulate VGG16: one row per layer with its dotted
 * name and type, output shape, parameters (trainable / frozen), activation memory per image (values
 * and bytes), multiply-adds and receptive field (size, jump, start); totals for parameters and
 * their bytes, forward activation memory per image, multiply-adds and a training-memory estimate;
 * warnings where a stride leaves input rows or columns unread. Print it with `formatSummary`, or
 * `summaryJson` for machines.
 *
 * Everything comes from the model's real forward pass, observed through forward hooks on every
 * module and a tracing backend under the ops (so custom models are summarized as faithfully as the
 * zoo): by default shape-only, which skips the arithmetic and makes a full-size ResNet-152 take
 * milliseconds (see `TraceOptions.execute`). Modes and batch-norm statistics are left as they were.
 *
 * Conventions (per image, float32):
 * - Parameters are PyTorch's (buffers such as running statistics are not parameters).
 * - Multiply-adds count convolutions (outputs · inputs per output: (C/groups)·kH·kW) and matrix
 *   products, not biases, normalization, activations or pooling: the convention of the ResNet paper
 *   (its "FLOPs" are multiply-adds) and of the decks' Inception example (854,196,224).
 * - `activationValues` reproduces the decks' VGG16 rows: the input plus each layer output once, with
 *   ReLU, dropout and flatten sharing memory: 15,237,608 values (58.1 MiB) for VGG16. (The decks print
 *   a total of "24M values, ~93 MB", which does not follow from their own rows: those sum to 15.2M.)
 *   `allOutputValues` counts every output with storage of its own (28,818,408 for VGG16: the ReLU
 *   outputs too), which is what a framework without in-place layers keeps for backward.
 * - The training estimate adds parameters, their gradients, the optimizer's slots, and for each
 *   image of the batch every layer output (kept for backward) and its gradient: the decks' "x2 for
 *   backward".
 *
 * @param inputShape per-image input shape, e.g. [3, 224, 224] (default: the one the model records,
 *   which every zoo model does).
 */
export function summary(
  model: Module,
  inputShape?: readonly number[],
  opts: SummaryOptions = {},
): ModelSummary {
  const shape = resolveInputShape('summary', model, inputShape);
  const trace = traceForward(model, shape, opts, 'summary');
  const rf = new ReceptiveFieldAnalyzer(trace);
  const counted = new Set<Module>();
  // Rows in the order the calls returned: a container's own result comes after its children's.
  const rowCalls = trace.calls.filter(isRow).sort((a, b) => a.finishOrder - b.finishOrder);
  const coverage = inputCoverage(trace.kernels);
  const warned = new Set<unknown>();
  const layers = rowCalls.map((c) => layerRow(trace, c, rf, counted, coverage, warned));

  const bytesPerValue = trace.input.data.BYTES_PER_ELEMENT;
  const params = model.namedParameters();
  let totalParams = 0;
  let trainableParams = 0;
  let paramBytes = 0;
  for (const [, p] of params) {
    totalParams += p.size;
    paramBytes += p.size * p.data.BYTES_PER_ELEMENT;
    if (p.requiresGrad) trainableParams += p.size;
  }
  const bufferValues = model.buffers().reduce((s, b) => s + b.size, 0);

  const ran = new Set(trace.calls.map((c) => c.module));
  const notRun: NotRunModule[] = [];
  for (const [name, m] of model.namedModules()) {
    if (ran.has(m)) continue;
    const own = m.numParameters();
    const parentSkipped = notRun.some((n) => name.startsWith(`${n.name}.`));
    if (own > 0 && !parentSkipped) notRun.push({ name, params: own });
  }

  const inputValues = trace.input.size / trace.batchSize;
  let activationValues = inputValues;
  let allOutputValues = inputValues;
  layers.forEach((row, i) => {
    if (!row.inPlace) activationValues += row.activationValues;
    if (ownsStorage(rowCalls[i]!)) allOutputValues += row.activationValues;
  });

  const batch = opts.trainingBatchSize ?? 1;
  const slots = opts.optimizerSlots ?? 1;
  const gradientBytes = trainableParams * bytesPerValue;
  const training: TrainingMemoryEstimate = {
    batchSize: batch,
    optimizerSlots: slots,
    paramBytes,
    gradientBytes,
    optimizerBytes: gradientBytes * slots,
    activationBytes: batch * allOutputValues * bytesPerValue,
    activationGradientBytes: batch * allOutputValues * bytesPerValue,
    totalBytes: 0,
  };
  training.totalBytes =
    training.paramBytes +
    training.gradientBytes +
    training.optimizerBytes +
    training.activationBytes +
    training.activationGradientBytes;

  const warnings = layers.flatMap((l) => l.warnings.map((w) => `${l.name} (${l.type}): ${w}`));
  const tooSmall = windowsLargerThanInput(rowCalls);
  if (tooSmall) warnings.push(tooSmall);
  if (notRun.length > 0) {
    const n = notRun.reduce((s, m) => s + m.params, 0);
    warnings.push(
      `${notRun.map((m) => m.name).join(', ')} (${n.toLocaleString('en-US')} parameters) did not run in ${trace.mode} mode; ` +
        'they are in the parameter totals but not in the table',
    );
  }

  return {
    model: model.typeName,
    inputShape: shape,
    outputShape: perImage(trace.output.shape),
    mode: trace.mode,
    bytesPerValue,
    layers,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    paramBytes,
    bufferValues,
    notRun,
    macs: trace.kernels.reduce((s, k) => s + k.macs, 0) / trace.batchSize,
    inputValues,
    activationValues,
    activationBytes: activationValues * bytesPerValue,
    allOutputValues,
    allOutputBytes: allOutputValues * bytesPerValue,
    training,
    warnings,
  };
}

/**
 * A note when the input is so small that window layers slide kernels more than twice its size (a
 * 1x1 image through a ResNet): more than half of every window is padding, so the model computes
 * on little but zeros. Null when no window is that much larger than its input.
 */
function windowsLargerThanInput(calls: readonly ModuleCall[]): string | null {
  const hits: string[] = [];
  for (const c of calls) {
    for (const k of c.kernels) {
      if (k.kind !== 'conv2d' && k.kind !== 'maxPool2d' && k.kind !== 'avgPool2d') continue;
      const p = k.params;
      const spanH = effectiveKernel(p.kH, p.dilationH);
      const spanW = effectiveKernel(p.kW, p.dilationW);
      if (2 * p.inH < spanH || 2 * p.inW < spanW)
        hits.push(`${c.label} (${spanH}x${spanW} window on a ${p.inH}x${p.inW} input)`);
    }
  }
  if (hits.length === 0) return null;
  return (
    `${hits.length} window layer${hits.length > 1 ? 's' : ''} slide a kernel more than twice the size of ${hits.length > 1 ? 'their' : 'its'} input, ` +
    `first ${hits[0]}: their windows read mostly padding. Fix: use a larger input (the size the model was built for)`
  );
}
