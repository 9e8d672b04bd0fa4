import { bumpLayerStateEpoch } from './layer-state-epoch.js';
import { StrideError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { modelCard, setModelCard, type ModelTask, type Preprocessing } from './model-card.js';
import { compileNamePattern, describeNamePattern, type NamePattern } from './name-pattern.js';
import { Parameter } from './parameter.js';
import { StateDictError, type ShapeMismatch } from './state-dict-error.js';

/**
 * A module's state: dotted names (`features.0.weight`, `bn1.running_mean`) to tensors, in PyTorch's
 * order (each module's own parameters, then its own buffers, then its children in order).
 */
export type StateDict = Record<string, Tensor>;

/** Runs before `forward`; may return replacement inputs. */
export type ForwardPreHook = (module: Module, inputs: readonly Tensor[]) => readonly Tensor[] | void;

/** Runs after `forward` with its inputs and output; may return a replacement output. */
export type ForwardHook = (module: Module, inputs: readonly Tensor[], output: Tensor) => Tensor | void;

/** Returned by the `register*Hook` methods: `remove()` unregisters the hook (idempotent). */
export interface HookHandle {
  remove(): void;
}

/** What `loadStateDict` skipped (only possible with `{strict: false}`). */
export interface LoadStateDictResult {
  /** Keys the module has that the dict lacked (left unchanged). */
  missingKeys: string[];
  /** Keys of the dict that the module has no tensor for (ignored). */
  unexpectedKeys: string[];
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Refuse a dict with missing or unexpected keys (default true). Shape mismatches are always refused. */
  strict?: boolean;
}

interface BufferEntry {
  tensor: Tensor | null;
  persistent: boolean;
}

type ForwardImpl = (...inputs: Tensor[]) => Tensor;

function checkName(owner: Module, kind: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new ValueError(
      `${owner.constructor.name}.register${kind}`,
      `a ${kind.toLowerCase()} name must be a non-empty string without dots, got ${JSON.stringify(name)}. ` +
        'Fix: dots separate module levels in state-dict keys; nest a module instead',
    );
  }
}

function indent(text: string): string {
  return text.split('\n').join('\n  ');
}

let nextHookId = 0;

/**
 * Base class of every layer and model, modelled on `torch.nn.Module`.
 *
 * **Registration.** Assigning a {@link Parameter} or a `Module` to a field registers it under the
 * field's name, in the order the fields are assigned (class fields in declaration order), exactly
 * as PyTorch's attribute assignment does: `this.conv1 = new Conv2d(...)` gives state-dict keys
 * `conv1.weight`, `conv1.bias`, and replacing a child later (`model.fc = new Linear(512, 10)`) just
 * works. `registerParameter`/`registerModule` do the same for names that are not convenient
 * identifiers. Buffers (state that is saved but not trained, such as batch-norm running statistics)
 * are registered explicitly with {@link registerBuffer} under their PyTorch names
 * (`running_mean`); layers keep a typed field pointing at the same tensor, which is only ever
 * updated in place. A `null` field (a layer built without bias) registers nothing.
 *
 * **Running.** Subclasses implement `forward(...)` as a method (not an arrow-function field);
 * callers run a module with `model.forward(x)`, which also runs the forward pre-hooks and hooks of
 * that module. Every container calls its
 * children through `forward`, so hooks see every submodule's inputs and output. A Stride error
 * raised inside a layer gets a last line naming where: the layer's dotted path (`features.3`), its
 * description and its input shapes.
 */
export abstract class Module {
  #training = true;

  /** Training mode (dropout active, batch norm uses batch statistics); see {@link train}/{@link eval}. */
  get training(): boolean {
    return this.#training;
  }
  set training(mode: boolean) {
    if (mode !== this.#training) bumpLayerStateEpoch();
    this.#training = mode;
  }
  readonly #buffers = new Map<string, BufferEntry>();
  readonly #preHooks = new Map<number, ForwardPreHook>();
  readonly #hooks = new Map<number, ForwardHook>();

  constructor() {
    // Wrap the most-derived forward so that `model.forward(x)` runs the hooks (PyTorch's __call__).
    // Subclass methods calling `super.forward(x)` reach the unwrapped implementation.
    const impl = this.forward as ForwardImpl;
    const wrapped: ForwardImpl = (...inputs) => this.#runForward(impl, inputs);
    Object.defineProperty(this, 'forward', { value: wrapped, writable: true, configurable: true });
  }

  /** Compute the module's output. Call it as `model.forward(x)`; hooks run around it. */
  abstract forward(...inputs: Tensor[]): Tensor;

  #runForward(impl: ForwardImpl, inputs: Tensor[]): Tensor {
    let args: readonly Tensor[] = inputs;
    // (The copies let a hook remove itself; a layer without hooks makes none.)
    if (this.#preHooks.size > 0)
      for (const hook of [...this.#preHooks.values()]) {
        const replaced = hook(this, args);
        if (replaced !== undefined) args = replaced;
      }
    let out: Tensor;
    try {
      out = impl.apply(this, args as Tensor[]);
    } catch (err) {
      noteLayerError(err, this, args);
      throw err;
    }
    if (this.#hooks.size > 0)
      for (const hook of [...this.#hooks.values()]) {
        const replaced = hook(this, args, out);
        if (replaced !== undefined) out = replaced;
      }
    return out;
  }

  // ---- registration ----

  /** Register (or replace) a parameter under `name`, also reachable as `this[name]`. Returns it. */
  registerParameter<P extends Parameter | null>(name: string, param: P): P {
    checkName(this, 'Parameter', name);
    if (this.#buffers.has(name))
      throw new ValueError('registerParameter', `'${name}' is already a buffer of ${this.constructor.name}`);
    Object.defineProperty(this, name, { value: param, writable: true, enumerable: true, configurable: true });
    bumpLayerStateEpoch();
    return param;
  }

  /** Register (or replace) a child module under `name`, also reachable as `this[name]`. Returns it. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    checkName(this, 'Module', name);
    Object.defineProperty(this, name, {
      value: module,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    bumpLayerStateEpoch();
    return module;
  }

  /**
   * Register (or replace) a buffer: a tensor that belongs to the module's state (saved in the
   * state dict unless `persistent` is false) but is not trained, e.g. `running_mean`. Update it in
   * place. Returns the tensor, to keep in a typed field.
   */
  registerBuffer<T extends Tensor | null>(name: string, tensor: T, opts: { persistent?: boolean } = {}): T {
    checkName(this, 'Buffer', name);
    const current: unknown = Object.getOwnPropertyDescriptor(this, name)?.value;
    if (current instanceof Parameter || current instanceof Module)
      throw new ValueError(
        'registerBuffer',
        `'${name}' is already a ${current instanceof Parameter ? 'parameter' : 'child module'} of ${this.constructor.name}`,
      );
    if (tensor instanceof Parameter)
      throw new ValueError(
        'registerBuffer',
        `'${name}' is a Parameter; buffers are plain tensors. Fix: assign it to a field or use registerParameter`,
      );
    this.#buffers.set(name, { tensor, persistent: opts.persistent ?? true });
    bumpLayerStateEpoch();
    return tensor;
  }

  /** The buffer registered under `name` (null when registered as null). */
  getBuffer(name: string): Tensor | null {
    const entry = this.#buffers.get(name);
    if (!entry) {
      const known = [...this.#buffers.keys()];
      throw new ValueError(
        'getBuffer',
        `${this.constructor.name} has no buffer '${name}'; it has ${known.length ? known.join(', ') : 'none'}`,
      );
    }
    return entry.tensor;
  }

  /**
   * This module's own parameters (not its children's), in registration order. The primitive every
   * traversal builds on: modules that hold their state differently (containers, lazy layers)
   * override it together with {@link ownBuffers} and {@link namedChildren}.
   */
  ownParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, value] of Object.entries(this)) if (value instanceof Parameter) out.push([name, value]);
    return out;
  }

  /** This module's own non-null buffers as [name, tensor, persistent], in registration order. */
  ownBuffers(): [string, Tensor, boolean][] {
    const out: [string, Tensor, boolean][] = [];
    for (const [name, e] of this.#buffers) if (e.tensor) out.push([name, e.tensor, e.persistent]);
    return out;
  }

  /** The direct children with their names, in registration order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [name, value] of Object.entries(this)) if (value instanceof Module) out.push([name, value]);
    return out;
  }

  /** Replace the direct child `name` (used by {@link setSubmodule}). */
  protected replaceChild(name: string, module: Module): void {
    if (!this.namedChildren().some(([n]) => n === name)) this.#noChild('setSubmodule', name);
    this.registerModule(name, module);
  }

  #noChild(op: string, name: string): never {
    const names = this.namedChildren().map(([n]) => n);
    throw new ValueError(
      op,
      `${this.constructor.name} has no child '${name}'; its children are ${names.length ? names.join(', ') : '(none)'}`,
    );
  }

  // ---- traversal ----

  /** The direct children. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant with dotted names ('' for this one), each module once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [n, c] of m.namedChildren()) visit(c, name ? `${name}.${n}` : n);
    };
    visit(this, prefix);
    return out;
  }

  /** This module and every descendant, each once. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** The submodule at a dotted path (`'features.3'`); '' is this module. */
  getSubmodule(path: string): Module {
    if (path === '') return this;
    return path.split('.').reduce<Module>((m, part) => {
      const next = m.namedChildren().find(([n]) => n === part);
      if (!next) return m.#noChild('getSubmodule', part);
      return next[1];
    }, this);
  }

  /** Replace the submodule at a dotted path, e.g. a classifier for transfer learning. */
  setSubmodule(path: string, module: Module): this {
    const cut = path.lastIndexOf('.');
    const parent = this.getSubmodule(cut < 0 ? '' : path.slice(0, cut));
    parent.replaceChild(path.slice(cut + 1), module);
    return this;
  }

  /** Every parameter with its dotted name, each tensor once (shared weights are listed once). */
  namedParameters(opts: { recurse?: boolean } = {}): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const mods: [string, Module][] = opts.recurse === false ? [['', this]] : this.namedModules();
    for (const [prefix, m] of mods) {
      for (const [n, p] of m.ownParameters()) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([prefix ? `${prefix}.${n}` : n, p]);
      }
    }
    return out;
  }

  /** Every parameter, each once: what an optimizer trains. */
  parameters(opts: { recurse?: boolean } = {}): Parameter[] {
    return this.namedParameters(opts).map(([, p]) => p);
  }

  /** Every buffer with its dotted name, each once. */
  namedBuffers(opts: { recurse?: boolean } = {}): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = opts.recurse === false ? [['', this]] : this.namedModules();
    for (const [prefix, m] of mods) {
      for (const [n, b] of m.ownBuffers()) {
        if (seen.has(b)) continue;
        seen.add(b);
        out.push([prefix ? `${prefix}.${n}` : n, b]);
      }
    }
    return out;
  }

  /** Every buffer, each once. */
  buffers(opts: { recurse?: boolean } = {}): Tensor[] {
    return this.namedBuffers(opts).map(([, b]) => b);
  }

  /** Call `fn` on every module (children first, then this one, as PyTorch's `apply`). */
  apply(fn: (module: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- state ----

  /** The live tensors behind the state dict (not detached), keyed as in {@link stateDict}. */
  #stateEntries(prefix: string, out: [string, Tensor][]): void {
    for (const [n, p] of this.ownParameters()) out.push([prefix + n, p]);
    for (const [n, b, persistent] of this.ownBuffers()) if (persistent) out.push([prefix + n, b]);
    for (const [n, c] of this.namedChildren()) c.#stateEntries(`${prefix}${n}.`, out);
  }

  /**
   * Parameters and persistent buffers by dotted name, with PyTorch's keys and order
   * (`features.0.weight`, `bn1.running_mean`, `bn1.num_batches_tracked`). The values share storage
   * with the module but are detached from autograd; clone them to keep a snapshot.
   */
  stateDict(): StateDict {
    const entries: [string, Tensor][] = [];
    this.#stateEntries('', entries);
    const out: StateDict = {};
    for (const [k, t] of entries) out[k] = t.detach();
    return out;
  }

  /**
   * Copy values from `dict` into the module's parameters and buffers (in place: references held by
   * optimizers stay valid; each tensor written has its `version` bumped). Every key is checked before anything is written; a dict with shape
   * mismatches, or (when `strict`, the default) missing or unexpected keys, is refused with a
   * {@link StateDictError} listing them all. Returns the keys skipped under `{strict: false}`.
   */
  loadStateDict(
    dict: StateDict | ReadonlyMap<string, Tensor>,
    opts: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const source = dict instanceof Map ? dict : new Map(Object.entries(dict as StateDict));
    const entries: [string, Tensor][] = [];
    this.#stateEntries('', entries);
    const targets = new Map(entries);
    const missingKeys = [...targets.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !targets.has(k));
    const mismatched: ShapeMismatch[] = [];
    for (const [k, target] of targets) {
      const value = source.get(k);
      if (value === undefined) continue;
      if (!(value instanceof Tensor)) {
        throw new ValueError(
          'loadStateDict',
          `the value of '${k}' is not a Tensor. Fix: load tensors (e.g. with st.tensor)`,
        );
      }
      const same =
        value.shape.length === target.shape.length && value.shape.every((d, i) => d === target.shape[i]);
      if (!same) mismatched.push({ key: k, expected: target.shape, got: value.shape });
    }
    if (mismatched.length > 0 || (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0))) {
      throw new StateDictError(this.constructor.name, missingKeys, unexpectedKeys, mismatched);
    }
    for (const [k, target] of targets) {
      const value = source.get(k);
      if (value === undefined) continue;
      target.data.set(value.data);
      target.markChanged();
    }
    return { missingKeys, unexpectedKeys };
  }

  // ---- what the model is fed and answers (its model card) ----

  /**
   * How images become this model's input (size, channels, colour order, scaling, mean/std), or
   * undefined when unknown. Saved and loaded with the model, recorded by `fit()` from datasets
   * that know it, applied by `st.preprocess(model, image)`. See `Preprocessing`.
   */
  get preprocessing(): Preprocessing | undefined {
    return modelCard(this).preprocessing;
  }
  set preprocessing(p: Preprocessing | undefined) {
    setModelCard(this, { preprocessing: p });
  }

  /** The name of each output class, in output order, or undefined when unknown. Saved with the model. */
  get classNames(): readonly string[] | undefined {
    return modelCard(this).classNames;
  }
  set classNames(names: readonly string[] | undefined) {
    setModelCard(this, { classNames: names });
  }

  /** What the model does (e.g. `'classification'`), or undefined when unknown. Saved with the model. */
  get task(): ModelTask | undefined {
    return modelCard(this).task;
  }
  set task(task: ModelTask | undefined) {
    setModelCard(this, { task });
  }

  // ---- modes and training helpers ----

  /** Set training mode (`true`, the default) or evaluation mode on this module and all descendants. */
  train(mode = true): this {
    this.training = mode;
    for (const c of this.children()) c.train(mode);
    return this;
  }

  /** Evaluation mode: `train(false)`. Dropout passes values through; batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Keras-style frozen statistics: while true, a layer with running statistics (batch norm)
   * normalizes with them and leaves them unchanged even in training mode, so a frozen backbone
   * stays exactly as loaded. `freeze()` sets it on the batch-norm layers whose parameters it
   * freezes (unless `{ batchNorm: 'train' }`); `unfreeze()` clears it. Other modules ignore it.
   */
  statisticsFrozen = false;

  /** Whether this module keeps running statistics that {@link statisticsFrozen} protects. */
  get keepsRunningStatistics(): boolean {
    return false;
  }

  /** After a freeze/unfreeze: the batch-norm layers it touched follow their parameters. */
  #syncFrozenStatistics(
    freezing: boolean,
    keepBatchNormTraining: boolean,
    match: ((n: string) => boolean) | null,
  ): void {
    for (const [name, m] of this.namedModules()) {
      if (!m.keepsRunningStatistics) continue;
      const params = m.namedParameters();
      const touched = match === null || match(name) || params.some(([n]) => match(name ? `${name}.${n}` : n));
      if (!touched) continue;
      if (!freezing) m.statisticsFrozen = false;
      else if (!keepBatchNormTraining && params.every(([, p]) => !p.requiresGrad)) m.statisticsFrozen = true;
    }
  }

  #setRequiresGrad(
    op: string,
    flag: boolean,
    pattern: NamePattern | undefined,
    keepBatchNormTraining = false,
  ): this {
    const named = this.namedParameters();
    if (pattern === undefined) {
      for (const [, p] of named) p.requiresGrad = flag;
      this.#syncFrozenStatistics(!flag, keepBatchNormTraining, null);
      return this;
    }
    const match = compileNamePattern(pattern);
    let hits = 0;
    for (const [n, p] of named) {
      if (!match(n)) continue;
      p.requiresGrad = flag;
      hits++;
    }
    this.#syncFrozenStatistics(!flag, keepBatchNormTraining, match);
    if (hits === 0) {
      const sample = named.slice(0, 8).map(([n]) => n);
      throw new ValueError(
        op,
        `the pattern ${describeNamePattern(pattern)} matches no parameter of ${this.constructor.name}; ` +
          `names look like ${sample.join(', ')}${named.length > sample.length ? ', ...' : ''}. ` +
          "Fix: match a module name ('features'), a full name ('fc.weight') or use * ('*.bias')",
      );
    }
    return this;
  }

  /**
   * Stop training parameters (requiresGrad = false): all of them, or those selected by a
   * {@link NamePattern} (`'features'`, `'layer[12]'` as a RegExp, `'*.bias'`). Throws when the
   * pattern matches nothing. Batch-norm layers whose parameters all end up frozen also keep their
   * running statistics and normalize with them in training mode, as Keras does
   * ({@link statisticsFrozen}); `{ batchNorm: 'train' }` leaves them updating (PyTorch's behaviour).
   */
  freeze(pattern?: NamePattern, opts: { batchNorm?: 'eval' | 'train' } = {}): this {
    return this.#setRequiresGrad('freeze', false, pattern, opts.batchNorm === 'train');
  }

  /** Train parameters again (requiresGrad = true): all, or those selected by `pattern`. */
  unfreeze(pattern?: NamePattern): this {
    return this.#setRequiresGrad('unfreeze', true, pattern);
  }

  /** Clear the gradients of all parameters (set them to null, like PyTorch's default). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Total number of parameter elements, each shared tensor counted once. */
  numParameters(opts: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!opts.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  // ---- hooks ----

  /** Run `hook(module, inputs)` before every forward of this module; it may return new inputs. */
  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    const id = nextHookId++;
    this.#preHooks.set(id, hook);
    bumpLayerStateEpoch();
    return {
      remove: () => {
        if (this.#preHooks.delete(id)) bumpLayerStateEpoch();
      },
    };
  }

  /** Run `hook(module, inputs, output)` after every forward of this module; it may return a new output. */
  registerForwardHook(hook: ForwardHook): HookHandle {
    const id = nextHookId++;
    this.#hooks.set(id, hook);
    bumpLayerStateEpoch();
    return {
      remove: () => {
        if (this.#hooks.delete(id)) bumpLayerStateEpoch();
      },
    };
  }

  /**
   * Whether any forward hook or pre-hook is registered on this module. Containers running in
   * inference mode only merge a layer into its neighbour (batch norm into a convolution) when
   * none of them has hooks, so hooks always see the layer's own inputs and output.
   */
  get hasForwardHooks(): boolean {
    return this.#preHooks.size > 0 || this.#hooks.size > 0;
  }

  // ---- printing ----

  /** The type name shown by {@link toString} (the class name). */
  get typeName(): string {
    return this.constructor.name;
  }

  /** The part of {@link toString} between the parentheses, e.g. `3, 8, kernelSize=[3, 3]`. */
  extraRepr(): string {
    return '';
  }

  /** A tree like PyTorch's repr: `Sequential(\n  (0): Conv2d(3, 8, ...)\n  (1): ReLU()\n)`. */
  toString(): string {
    const extra = this.extraRepr();
    const children = this.namedChildren();
    if (children.length === 0) return `${this.typeName}(${extra})`;
    const lines = extra ? [extra] : [];
    for (const [n, c] of children) lines.push(`(${n}): ${indent(c.toString())}`);
    return `${this.typeName}(\n  ${lines.join('\n  ')}\n)`;
  }

  /** `console.log(model)` in Node prints the {@link toString} tree. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

interface LayerErrorContext {
  original: string;
  path: string[];
  layer: string;
  shapes: string;
  last: Module;
}

const layerErrors = new WeakMap<Error, LayerErrorContext>();

/**
 * Say where a Stride error happened: each module whose forward the error passes through records
 * it; the innermost gives the layer's description and input shapes, each outer one prepends the
 * name under which it holds the previous one, giving a dotted path like `features.3`.
 */
/**
 * @internal Run `fn` as `module`'s forward on `inputs` would run, as far as errors go: a Stride
 * error gets the same last line naming the layer and its input shapes. For paths that compute a
 * layer's output without calling its `forward` (the fused inference path of the containers).
 */
export function runAsLayer<T>(module: Module, inputs: readonly Tensor[], fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    noteLayerError(err, module, inputs);
    throw err;
  }
}

function noteLayerError(err: unknown, module: Module, inputs: readonly Tensor[]): void {
  if (!(err instanceof StrideError)) return;
  let ctx = layerErrors.get(err);
  if (!ctx) {
    const shapes = inputs
      .map((t) => (t instanceof Tensor ? `[${t.shape.join(', ')}]` : String(t)))
      .join(', ');
    ctx = { original: err.message, path: [], layer: module.toString().split('\n')[0]!, shapes, last: module };
    layerErrors.set(err, ctx);
  } else {
    const held = module.namedChildren().find(([, c]) => c === ctx!.last);
    if (held) ctx.path.unshift(held[0]);
    ctx.last = module;
  }
  const where = ctx.path.length > 0 ? `in layer '${ctx.path.join('.')}': ` : 'in ';
  err.message = `${ctx.original}\n  (${where}${ctx.layer}, input shape ${ctx.shapes})`;
}
