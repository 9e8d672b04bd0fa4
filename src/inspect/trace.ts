import { enableGrad } from '../autograd/grad-mode.js';
import { kernels, withKernels } from '../backend/registry.js';
import { ShapeError, StrideError, ValueError } from '../errors.js';
import { getDefaultInputShape } from '../nn/default-input.js';
import { Graph } from '../nn/graph.js';
import type { HookHandle, Module } from '../nn/module.js';
import { randn, zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { tracingBackend, type KernelEvent } from './tracing-backend.js';

/**
 * Which mode the model runs in while it is inspected: `'eval'` (the default: dropout off, batch
 * norm on its running statistics, training-only branches such as GoogLeNet's auxiliary classifiers
 * skipped), `'train'`, or `'same'` (each module keeps its current mode). Modes are restored after.
 */
export type TraceMode = 'eval' | 'train' | 'same';

/** Options shared by the inspection tools that run a model. */
export interface TraceOptions {
  /** Images in the traced batch (default 1). Reported numbers are per image. */
  batchSize?: number;
  /** Mode to run the model in (default `'eval'`). */
  mode?: TraceMode;
  /**
   * Do the arithmetic (default false): by default the forward pass runs shape-only, with every
   * convolution, pooling and matrix product reported but not computed (see `tracingBackend`), so
   * full-size networks inspect in milliseconds. The model's code, shapes and hooks are the same
   * either way; `execute: true` also yields real output values (from a seeded random input).
   */
  execute?: boolean;
}

/** One run of one module's `forward` during a trace. */
export interface ModuleCall {
  /** Dotted path of the module in the model (`'layer1.0.conv1'`; `''` for the model itself). */
  readonly name: string;
  /** The name, plus `#2`, `#3`, ... for the later runs of a module that runs several times. */
  readonly label: string;
  /** The module. */
  readonly module: Module;
  /** 0 for the module's first run in this trace, 1 for its second, ... */
  readonly callIndex: number;
  /** The call that was running when this one started (null for the model itself). */
  readonly parent: ModuleCall | null;
  /** Nesting depth (0 for the model itself). */
  readonly depth: number;
  /** The tensors the module received. */
  readonly inputs: readonly Tensor[];
  /** The tensor it returned (null until it returns). */
  output: Tensor | null;
  /** Position among the calls in the order they returned (-1 until it returns). */
  finishOrder: number;
  /** The calls it made to its own children, in order. */
  readonly children: ModuleCall[];
  /** Kernels its own code ran (not those of its children). */
  readonly kernels: KernelEvent[];
  /** True when the module has no child modules (a layer). */
  readonly isLeaf: boolean;
}

/** What {@link traceForward} observed. */
export interface ForwardTrace {
  /** The traced model. */
  readonly model: Module;
  /** The batch fed to it, [batchSize, ...inputShape]. */
  readonly input: Tensor;
  /** The model's output. */
  readonly output: Tensor;
  /** Every module run, in the order they started. */
  readonly calls: readonly ModuleCall[];
  /** Every convolution, pooling and GEMM kernel call, in order. */
  readonly kernels: readonly KernelEvent[];
  /** Each module's dotted name (the first, for a module registered under several). */
  readonly names: ReadonlyMap<Module, string>;
  /** Images in the batch. */
  readonly batchSize: number;
  /** The per-image input shape. */
  readonly inputShape: readonly number[];
  /** The mode it ran in. */
  readonly mode: TraceMode;
  /** Whether the arithmetic was performed. */
  readonly execute: boolean;
}

/**
 * The per-image input shape to inspect `model` with: `given` when there is one, else the shape the
 * model recorded with `setDefaultInputShape` (every zoo model does), else the declared shape of a
 * one-input {@link Graph}. Throws a ValueError naming `op` when none is known.
 */
export function resolveInputShape(op: string, model: Module, given?: readonly number[]): number[] {
  const shape = given ?? getDefaultInputShape(model) ?? graphInputShape(model);
  if (!shape) {
    throw new ValueError(
      op,
      `no input shape was given and ${model.typeName} does not declare one. ` +
        'Fix: pass the per-image input shape, e.g. [3, 224, 224] for RGB images of 224x224',
    );
  }
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ValueError(
      op,
      `the input shape must be a non-empty list of positive integers (per image, without the batch), got ${JSON.stringify(shape)}. ` +
        'Fix: pass e.g. [3, 224, 224]',
    );
  }
  return [...shape];
}

/** The per-sample input shape a single-input Graph declares (imported ONNX models do), or null. */
export function graphInputShape(model: Module): readonly number[] | null {
  if (!(model instanceof Graph)) return null;
  const inputs = model.nodes().filter((n) => n.module === null);
  return inputs.length === 1 ? inputs[0]!.shape : null;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function describe(module: Module): string {
  return module.toString().split('\n')[0]!.replace(/\($/, '');
}

interface RunState {
  calls: ModuleCall[];
  stack: ModuleCall[];
  events: KernelEvent[];
  finished: number;
}

/** Run the forward pass with hooks on every module; restore modes and buffers whatever happens. */
function run(model: Module, input: Tensor, mode: TraceMode, execute: boolean, state: RunState): Tensor {
  const named = model.namedModules();
  const modes = new Map(named.map(([, m]) => [m, m.training]));
  const buffers = model.namedBuffers().map(([, b]) => [b, b.data.slice()] as const);
  const counts = new Map<Module, number>();
  const handles: HookHandle[] = [];
  const reverse = new Map(named.map(([n, m]) => [m, n]));

  for (const [, m] of named) {
    handles.push(
      m.registerForwardPreHook((mod, inputs) => {
        const parent = state.stack[state.stack.length - 1] ?? null;
        const index = counts.get(mod) ?? 0;
        counts.set(mod, index + 1);
        const name = reverse.get(mod) ?? '';
        const call: ModuleCall = {
          name,
          label: index === 0 ? name : `${name}#${index + 1}`,
          module: mod,
          callIndex: index,
          parent,
          depth: parent ? parent.depth + 1 : 0,
          inputs: [...inputs],
          output: null,
          finishOrder: -1,
          children: [],
          kernels: [],
          isLeaf: mod.namedChildren().length === 0,
        };
        parent?.children.push(call);
        state.calls.push(call);
        state.stack.push(call);
      }),
    );
    handles.push(
      m.registerForwardHook((mod, inputs, output) => {
        const call = state.stack[state.stack.length - 1];
        if (!call || call.module !== mod) return;
        if (output.shape.some((d) => d === 0)) {
          throw new ShapeError(
            mod.typeName,
            `the output is empty (a spatial size reached zero) for input ${inputs.map((t) => shapeText(t.shape)).join(', ')}`,
            'non-empty output',
            output.shape,
            'use a larger input',
          );
        }
        call.output = output;
        call.finishOrder = state.finished++;
        state.stack.pop();
      }),
    );
  }

  if (mode !== 'same') model.train(mode === 'train');
  const backend = tracingBackend(kernels(), execute, (e) => {
    state.events.push(e);
    state.stack[state.stack.length - 1]?.kernels.push(e);
  });
  try {
    return withKernels(backend, () => enableGrad(() => model.forward(input)));
  } finally {
    for (const h of handles) h.remove();
    for (const [m, t] of modes) m.training = t;
    for (const [b, copy] of buffers) {
      b.data.set(copy);
      b.markChanged();
    }
  }
}

function makeInput(shape: readonly number[], execute: boolean): Tensor {
  const x = execute ? randn(shape, { seed: 0 }) : zeros(shape);
  x.requiresGrad = true;
  return x;
}

/**
 * Run `model` once on a batch of `inputShape` images with forward hooks on every module and a
 * tracing backend underneath, and return what happened: each module's run (dotted name, inputs,
 * output, children, the kernels its own code ran) and every convolution, pooling and GEMM with its
 * resolved geometry. The model's training modes and buffers (batch-norm running statistics) are
 * restored afterwards; its parameters are never touched. The autograd graph is recorded (the input
 * requires a gradient) so that data flow can be followed op by op, branches included.
 *
 * When a layer cannot run (typically an input too small for the network, e.g. 32x32 into AlexNet),
 * the error is a ShapeError naming that layer's dotted path, its type and the shape that reached
 * it, and, for square images, the smallest input size that does work.
 *
 * @param op the caller's name, used in errors (`'summary'`, `'countMacs'`, ...).
 */
export function traceForward(
  model: Module,
  inputShape: readonly number[],
  opts: TraceOptions = {},
  op = 'traceForward',
): ForwardTrace {
  const batchSize = opts.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ValueError(op, `batchSize must be a positive integer, got ${JSON.stringify(batchSize)}`);
  const mode = opts.mode ?? 'eval';
  if (mode !== 'eval' && mode !== 'train' && mode !== 'same')
    throw new ValueError(op, `mode must be 'eval', 'train' or 'same', got ${JSON.stringify(mode)}`);
  const execute = opts.execute ?? false;
  const input = makeInput([batchSize, ...inputShape], execute);
  const state: RunState = { calls: [], stack: [], events: [], finished: 0 };
  let output: Tensor;
  try {
    output = run(model, input, mode, execute, state);
  } catch (err) {
    const failing = state.stack[state.stack.length - 1];
    if (!(err instanceof StrideError) || !failing) throw err;
    throw layerError(op, model, inputShape, mode, failing, err);
  }
  return {
    model,
    input,
    output,
    calls: state.calls,
    kernels: state.events,
    names: new Map(model.namedModules().map(([n, m]) => [m, n])),
    batchSize,
    inputShape: [...inputShape],
    mode,
    execute,
  };
}

/** Whether a shape-only forward pass of `model` succeeds on one image of `shape`. */
function runs(model: Module, shape: readonly number[], mode: TraceMode): boolean {
  try {
    run(model, makeInput([1, ...shape], false), mode, false, {
      calls: [],
      stack: [],
      events: [],
      finished: 0,
    });
    return true;
  } catch (err) {
    if (err instanceof StrideError) return false;
    throw err;
  }
}

/**
 * The smallest square size s (with the same channels) for which `model` runs on [C, s, s], found by
 * shape-only forward passes; null when the input is not a square image or nothing up to 4096 works.
 */
export function smallestSquareInput(
  model: Module,
  inputShape: readonly number[],
  mode: TraceMode,
): number | null {
  if (inputShape.length !== 3 || inputShape[1] !== inputShape[2]) return null;
  const c = inputShape[0]!;
  let bad = inputShape[1]!;
  let good = 0;
  for (let s = Math.max(2 * bad, 8); s <= 4096; s *= 2) {
    if (runs(model, [c, s, s], mode)) {
      good = s;
      break;
    }
    bad = s;
  }
  if (good === 0) return null;
  while (good - bad > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (runs(model, [c, mid, mid], mode)) good = mid;
    else bad = mid;
  }
  return good;
}

function layerError(
  op: string,
  model: Module,
  inputShape: readonly number[],
  mode: TraceMode,
  failing: ModuleCall,
  err: StrideError,
): ShapeError {
  const got = failing.inputs.map((t) => shapeText(t.shape)).join(', ');
  // The op's own sentence, without its expected/got/fix (the error being built restates them).
  const first = err.message.split('\n')[0]!;
  const cut = first.indexOf(': expected ');
  const reason = cut > 0 ? first.slice(0, cut) : first;
  // Only an input that shrank on its way to the failing layer suggests a size problem worth
  // searching for (not, say, a wrong channel count at the first layer).
  const shrunk =
    inputShape.length === 3 &&
    failing.inputs.some(
      (t) => t.ndim === 4 && (t.shape[2]! < inputShape[1]! || t.shape[3]! < inputShape[2]!),
    );
  const smallest = shrunk ? smallestSquareInput(model, inputShape, mode) : null;
  const fix =
    smallest !== null
      ? `${model.typeName} needs an input of at least ${inputShape[0]}x${smallest}x${smallest}; resize the images or pick a network made for small inputs`
      : 'check the input shape against what the network expects (channels, size)';
  return new ShapeError(
    op,
    `${model.typeName} cannot run on input ${shapeText(inputShape)}: layer '${failing.label || '(model)'}' ` +
      `(${describe(failing.module)}) received ${got} (${reason})`,
    smallest !== null
      ? `an input of at least ${shapeText([inputShape[0]!, smallest, smallest])}`
      : 'a valid input',
    shapeText(inputShape),
    fix,
  );
}
