import { ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { withInferenceBuffers } from '../tensor/inference-buffer-pool.js';
import {
  fusedInferenceActive,
  planGraph,
  planInputs,
  runFusedStep,
  samePlanInputs,
  type FusedStep,
} from './inference-fusion.js';
import { runPlanned } from './inference-plan.js';
import { keepsNoValues, registerStockContainerForward, releaseDeadValue } from './inference-liveness.js';
import { activateInPlace } from '../ops/fused-activation.js';
import {
  addInto,
  allShaped,
  inPlaceActivationOf,
  isStockAdd,
  outputIsScratch,
  sumOutputIsScratch,
} from './in-place-steps.js';
import { bumpLayerStateEpoch, layerStateEpoch } from './layer-state-epoch.js';
import { Module } from './module.js';

/**
 * A symbolic value in a {@link Graph}: a graph input or the output of a layer applied to earlier
 * values. Pass it to `graph.add(...)` to build on it.
 */
export class GraphNode {
  /** @internal Created by {@link Graph.input} and {@link Graph.add}. */
  constructor(
    /** The graph the node belongs to. */
    readonly graph: Graph,
    /** Position in creation order (also a topological order). */
    readonly index: number,
    /** The layer's name (its state-dict prefix), or the input's name. */
    readonly name: string,
  ) {}

  /** `GraphNode(name)`. */
  toString(): string {
    return `GraphNode(${this.name})`;
  }
}

/** One step of a {@link Graph}, as listed by {@link Graph.nodes}. */
export interface GraphStep {
  /** Node name (for a layer, also its state-dict prefix). */
  readonly name: string;
  /** The layer, or null for a graph input. */
  readonly module: Module | null;
  /** Names of the nodes it reads, in argument order. */
  readonly inputs: readonly string[];
  /** For an input: the declared per-sample shape (without the batch dimension), if any. */
  readonly shape: readonly number[] | null;
}

interface Step {
  name: string;
  module: Module | null;
  inputs: number[];
  shape: readonly number[] | null;
}

/**
 * What a forward works out from the wiring alone (kept until the graph changes): which steps the
 * outputs need and the last step reading each value (to free it), and the fused inference plan
 * with the {@link planInputs} it was made from (made again when those differ).
 */
interface Schedule {
  readonly wiring: number;
  readonly needed: ReadonlySet<number>;
  readonly lastUse: ReadonlyMap<number, number>;
  /** The layer steps the outputs need, in order (what the fused forward runs). */
  readonly order: readonly number[];
  /** Per step, the values read for the last time by it (each once), to drop after it ran. */
  readonly lastReads: readonly (readonly number[])[];
  plan: (FusedStep | undefined)[] | null;
  planInputs: unknown[];
  /** The layer-state epoch at which `plan` was last found valid (see layer-state-epoch.ts). */
  planEpoch: number;
  /**
   * Per step, whether its value may go back to the inference buffer pool once dead (the step that
   * made it and every step that reads it keep no reference to it), as of `planEpoch`.
   */
  clean: boolean[];
}

/** Keras-like default names: Conv2d -> 'conv2d', 'conv2d_1', ...; BatchNorm2d -> 'batchnorm2d'. */
function baseName(m: Module): string {
  return m.typeName.toLowerCase().replace(/[^a-z0-9_]/g, '_') || 'layer';
}

/**
 * A network with branches, built the way Keras' functional API builds one: declare inputs, apply
 * layers to earlier values, declare the outputs. The graph is itself a {@link Module}: its layers are
 * children named after their nodes, so state-dict keys are PyTorch-style dotted names
 * (`conv1.weight`, `block1.0.bn.running_mean` when a node holds a Sequential), and every layer runs
 * through `forward`, so hooks see each one.
 *
 * ```ts
 * const g = new Graph();
 * const x = g.input([16, 32, 32]);
 * let h = g.add('conv1', new Conv2d(16, 16, 3, { padding: 1 }), x);
 * h = g.add('relu1', new ReLU(), h);
 * const y = g.add('skip', new Add(), h, x);          // residual connection
 * g.output(y);
 * g.forward(st.randn([8, 16, 32, 32]));
 * ```
 *
 * Applying the same module object to several nodes shares its weights (it is registered once, under
 * its first name). Nodes are evaluated in creation order, only those the outputs need. Under
 * `noGrad`, conv -> batch norm -> ReLU/ReLU6 chains and sums followed by ReLU/ReLU6 (layers in
 * evaluation mode, without hooks, each value read only by the next) run fused, as `Sequential`
 * runs them.
 */
export class Graph extends Module {
  readonly #steps: Step[] = [];
  readonly #inputs: number[] = [];
  #outputs: number[] = [];
  /** Registered layers by name, in registration order. */
  readonly #layers = new Map<string, Module>();
  /** Bumped by every change of the wiring (inputs, layers, outputs, replaced layers). */
  #wiring = 0;
  #schedule: Schedule | null = null;
  /** Scratch for the current {@link planInputs}, swapped with the schedule's when they differ. */
  #scratch: unknown[] = [];

  #checkNode(op: string, v: unknown): number {
    if (!(v instanceof GraphNode) || v.graph !== this) {
      throw new ValueError(
        op,
        `expected a GraphNode of this graph, got ${v instanceof GraphNode ? 'a node of another graph' : typeof v}. ` +
          "Fix: pass values returned by this graph's input() or add()",
      );
    }
    return v.index;
  }

  #uniqueName(base: string): string {
    const taken = (n: string) => this.#steps.some((s) => s.name === n);
    if (!taken(base)) return base;
    for (let i = 1; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
  }

  /**
   * Declare an input. `shape` is the per-sample shape without the batch dimension (e.g. [3, 224,
   * 224]); when given, `forward` checks it. Inputs are fed to `forward` in declaration order.
   */
  input(shape?: readonly number[], name?: string): GraphNode {
    if (shape !== undefined && (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)))
      throw new ValueError(
        'Graph.input',
        `shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    const n = name ?? this.#uniqueName('input');
    if (this.#steps.some((s) => s.name === n))
      throw new ValueError('Graph.input', `a node is already named '${n}'. Fix: pick another name`);
    const index = this.#steps.length;
    this.#wiring++;
    bumpLayerStateEpoch();
    this.#steps.push({ name: n, module: null, inputs: [], shape: shape ? [...shape] : null });
    this.#inputs.push(index);
    return new GraphNode(this, index, n);
  }

  /**
   * Apply `module` to the given values and return the new value. The name (default: the
   * lower-cased class name, made unique: 'conv2d', 'conv2d_1') becomes the layer's state-dict
   * prefix. Merge layers take several inputs: `g.add('sum', new Add(), a, b)`.
   */
  add(name: string, module: Module, ...inputs: GraphNode[]): GraphNode;
  add(module: Module, ...inputs: GraphNode[]): GraphNode;
  add(...args: (string | Module | GraphNode)[]): GraphNode {
    const explicit = typeof args[0] === 'string' ? (args.shift() as string) : undefined;
    const module = args.shift();
    if (!(module instanceof Module))
      throw new ValueError('Graph.add', 'expected a Module to apply. Fix: g.add(name, new Conv2d(...), x)');
    if (args.length === 0)
      throw new ValueError('Graph.add', 'a layer needs at least one input node. Fix: g.add(name, layer, x)');
    const inputs = args.map((a) => this.#checkNode('Graph.add', a));
    const registered = [...this.#layers].find(([, m]) => m === module)?.[0];
    let name: string;
    if (registered !== undefined) {
      if (explicit !== undefined && explicit !== registered) {
        throw new ValueError(
          'Graph.add',
          `this module is already in the graph as '${registered}'; applying it again shares its weights under that name. ` +
            `Fix: omit the name, pass '${registered}', or use a new module for separate weights`,
        );
      }
      name = this.#uniqueName(registered);
    } else {
      if (explicit !== undefined) {
        if (explicit === '' || explicit.includes('.'))
          throw new ValueError(
            'Graph.add',
            `node names must be non-empty and dot-free, got ${JSON.stringify(explicit)}`,
          );
        if (this.#steps.some((s) => s.name === explicit) || this.#layers.has(explicit))
          throw new ValueError('Graph.add', `a node is already named '${explicit}'. Fix: pick another name`);
      }
      name = explicit ?? this.#uniqueName(baseName(module));
      this.#layers.set(name, module);
    }
    const index = this.#steps.length;
    this.#wiring++;
    bumpLayerStateEpoch();
    this.#steps.push({ name, module, inputs, shape: null });
    return new GraphNode(this, index, name);
  }

  /** Declare the outputs (replacing earlier ones). Returns the graph. */
  output(...nodes: GraphNode[]): this {
    if (nodes.length === 0) throw new ValueError('Graph.output', 'needs at least one node');
    this.#outputs = nodes.map((n) => this.#checkNode('Graph.output', n));
    this.#wiring++;
    bumpLayerStateEpoch();
    return this;
  }

  /** The graph's steps in creation order: inputs and layers with the names of what they read. */
  nodes(): GraphStep[] {
    return this.#steps.map((s) => ({
      name: s.name,
      module: s.module,
      inputs: s.inputs.map((i) => this.#steps[i]!.name),
      shape: s.shape,
    }));
  }

  /**
   * Make the node `nodeName` apply `module` instead of its layer (graph rewrites such as
   * `fuseForInference` use this). A layer that no node applies any more leaves the graph (and its
   * parameters the state dict); a layer other nodes still apply (a shared ReLU) stays. Layers stay
   * registered under the name of the first node that applies them, as when the graph was built.
   */
  replaceNodeModule(nodeName: string, module: Module): void {
    const step = this.#steps.find((s) => s.name === nodeName);
    if (!step || !step.module) {
      const layers = this.#steps.filter((s) => s.module).map((s) => s.name);
      throw new ValueError(
        'Graph.replaceNodeModule',
        `the graph has no layer node '${nodeName}'; its layer nodes are ${layers.join(', ') || '(none)'}`,
      );
    }
    step.module = module;
    this.#wiring++;
    bumpLayerStateEpoch();
    this.#layers.clear();
    for (const s of this.#steps) {
      if (s.module && ![...this.#layers.values()].includes(s.module)) this.#layers.set(s.name, s.module);
    }
  }

  /** Names of the input nodes, in the order `forward` takes them. */
  get inputNames(): string[] {
    return this.#inputs.map((i) => this.#steps[i]!.name);
  }

  /** Names of the output nodes, in the order `forwardAll` returns them. */
  get outputNames(): string[] {
    return this.#outputs.map((i) => this.#steps[i]!.name);
  }

  override namedChildren(): [string, Module][] {
    return [...this.#layers];
  }

  protected override replaceChild(name: string, module: Module): void {
    const old = this.#layers.get(name);
    if (!old) {
      super.replaceChild(name, module);
      return;
    }
    this.#layers.set(name, module);
    for (const s of this.#steps) if (s.module === old) s.module = module;
    this.#wiring++;
    bumpLayerStateEpoch();
  }

  /** Run the graph on one tensor per input and return every output, in `output()` order. */
  forwardAll(...inputs: Tensor[]): Tensor[] {
    if (this.#outputs.length === 0)
      throw new ValueError(
        'Graph.forward',
        'the graph has no outputs yet. Fix: call g.output(node) after building it',
      );
    if (inputs.length !== this.#inputs.length) {
      throw new ValueError(
        'Graph.forward',
        `the graph takes ${this.#inputs.length} input(s) (${this.inputNames.join(', ')}), got ${inputs.length}`,
      );
    }
    const values = new Map<number, Tensor>();
    this.#inputs.forEach((stepIndex, k) => {
      const step = this.#steps[stepIndex]!;
      const x = inputs[k]!;
      if (
        step.shape &&
        (x.ndim !== step.shape.length + 1 || step.shape.some((d, j) => x.shape[j + 1] !== d))
      ) {
        throw new ShapeError(
          'Graph.forward',
          `input '${step.name}' does not have its declared shape`,
          `[N, ${step.shape.join(', ')}]`,
          x.shape,
          'feed a batch of samples of the shape given to g.input()',
        );
      }
      values.set(stepIndex, x);
    });
    const fusedActive = fusedInferenceActive();
    const schedule = this.#scheduleFor(fusedActive);
    const { needed, lastUse, plan } = schedule;
    if (!fusedActive || plan === null) {
      for (let i = 0; i < this.#steps.length; i++) {
        const step = this.#steps[i]!;
        if (!step.module || !needed.has(i)) continue;
        values.set(i, this.#runStep(i, step.module, step.inputs, values, lastUse));
        for (const j of step.inputs) if (lastUse.get(j) === i) values.delete(j);
      }
      return this.#outputs.map((o) => values.get(o)!);
    }
    // Steps whose layer keeps no reference to the values it reads or makes: a value made by one
    // and last read by one goes back to the inference buffer pool (see inference-liveness.ts).
    return runPlanned(this, inputs, () =>
      withInferenceBuffers(() => this.#forwardFused(values, plan, schedule)),
    );
  }

  /**
   * Step `i` outside fused inference: its layer's forward, or in place (see in-place-steps.ts) a
   * ReLU/ReLU6 over, or an Add into, a value that is dead after this step and that no one reads
   * again: not a graph input or output, made by a convolution, batch norm or sum.
   */
  #runStep(
    i: number,
    module: Module,
    ins: readonly number[],
    values: Map<number, Tensor>,
    lastUse: ReadonlyMap<number, number>,
  ): Tensor {
    const args = ins.map((j) => values.get(j)!);
    const first = ins[0];
    if (first === undefined || lastUse.get(first) !== i || ins.indexOf(first, 1) >= 0)
      return module.forward(...args);
    if (this.#inputs.includes(first) || this.#outputs.includes(first)) return module.forward(...args);
    const maker = this.#steps[first]!;
    if (!outputIsScratch(maker.module) && !sumOutputIsScratch(maker.module, maker.inputs.length))
      return module.forward(...args);
    // Nothing else may still see its storage: no live value shares it (a view made from it), and
    // no earlier reader has a hook (a hook may keep what it is shown).
    const buffer = args[0]!.data.buffer;
    for (const [j, t] of values) if (j !== first && t.data.buffer === buffer) return module.forward(...args);
    for (const s of this.#steps)
      if (s.module?.hasForwardHooks && s.inputs.includes(first)) return module.forward(...args);
    const act = ins.length === 1 ? inPlaceActivationOf(module) : null;
    if (act) return activateInPlace(args[0]!, act);
    if (isStockAdd(module) && ins.length >= 2 && allShaped(args, args[0]!.shape))
      return addInto(args[0]!, args.slice(1), module.activation);
    return module.forward(...args);
  }

  /** The fused inference forward (see {@link forwardAll}), the inputs' values set in `values`. */
  #forwardFused(values: Map<number, Tensor>, plan: (FusedStep | undefined)[], sc: Schedule): Tensor[] {
    const steps = this.#steps;
    const clean = sc.clean;
    const value = (j: number): Tensor => values.get(j)!;
    for (const i of sc.order) {
      const step = steps[i]!;
      const ins = step.inputs;
      const args: Tensor[] = new Array<Tensor>(ins.length);
      for (let k = 0; k < ins.length; k++) args[k] = values.get(ins[k]!)!;
      const fused = plan[i];
      values.set(i, fused ? runFusedStep(fused, args, value) : step.module!.forward(...args));
      for (const j of sc.lastReads[i]!) {
        const dead = values.get(j);
        if (dead === undefined) continue;
        values.delete(j);
        if (clean[j]) releaseDeadValue(dead, values.values());
      }
    }
    return this.#outputs.map((o) => values.get(o)!);
  }

  /**
   * The schedule of the current wiring (worked out again only when it changed), with the fused
   * plan when `fused` (planned again only when a layer, its mode, hooks, activation or batch norm
   * statistics changed since the last plan).
   */
  #scheduleFor(fused: boolean): Schedule {
    let sc = this.#schedule;
    if (sc === null || sc.wiring !== this.#wiring) {
      // Which steps the outputs need, and when each value is read for the last time (to free it).
      const needed = new Set<number>();
      const stack = [...this.#outputs];
      while (stack.length > 0) {
        const i = stack.pop()!;
        if (needed.has(i)) continue;
        needed.add(i);
        stack.push(...this.#steps[i]!.inputs);
      }
      const lastUse = new Map<number, number>();
      for (const i of needed)
        for (const j of this.#steps[i]!.inputs) lastUse.set(j, Math.max(lastUse.get(j) ?? -1, i));
      for (const o of this.#outputs) lastUse.set(o, Infinity);
      const order: number[] = [];
      const lastReads: number[][] = this.#steps.map(() => []);
      this.#steps.forEach((s, i) => {
        if (!s.module || !needed.has(i)) return;
        order.push(i);
        for (const j of s.inputs)
          if (lastUse.get(j) === i && !lastReads[i]!.includes(j)) lastReads[i]!.push(j);
      });
      sc = {
        wiring: this.#wiring,
        needed,
        lastUse,
        order,
        lastReads,
        plan: null,
        planInputs: [],
        planEpoch: -1,
        clean: [],
      };
      this.#schedule = sc;
    }
    if (!fused) return { ...sc, plan: null };
    // Nothing the plan read of the layers changed without moving the epoch.
    const epoch = layerStateEpoch();
    if (sc.plan !== null && sc.planEpoch === epoch) return sc;
    const current = planInputs(this.#steps, this.#scratch);
    if (sc.plan === null || !samePlanInputs(current, sc.planInputs)) {
      sc.plan = planGraph(this.#steps, this.#outputs);
      this.#scratch = sc.planInputs;
      sc.planInputs = current;
    }
    // A value may go back to the pool when the step that made it and every step that reads it keep
    // no reference to it.
    const steps = this.#steps;
    const clean = steps.map((s) => keepsNoValues(s.module));
    for (const i of sc.order) if (!clean[i]) for (const j of steps[i]!.inputs) clean[j] = false;
    sc.clean = clean;
    sc.planEpoch = epoch;
    return sc;
  }

  /** Run the graph and return its output; a graph with several outputs needs {@link forwardAll}. */
  forward(...inputs: Tensor[]): Tensor {
    if (this.#outputs.length > 1) {
      throw new ValueError(
        'Graph.forward',
        `the graph has ${this.#outputs.length} outputs (${this.outputNames.join(', ')}). Fix: use forwardAll(...) to get all of them`,
      );
    }
    return this.forwardAll(...inputs)[0]!;
  }

  override extraRepr(): string {
    return `inputs=[${this.inputNames.join(', ')}], outputs=[${this.outputNames.join(', ')}]`;
  }
}

registerStockContainerForward(Graph.prototype.forward);
registerStockContainerForward(Graph.prototype.forwardAll);
