import { enableGrad } from '../autograd/grad-mode.js';
import { ShapeError, ValueError } from '../errors.js';
import { allocate, dtypeOf, type FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { restoreHyperParams, serializeHyperParams, type HyperParamValue } from './hyper-params.js';
import { checkOptionNames } from '../option-names.js';

/** Options every Stride optimizer keeps per parameter group. */
export interface BaseHyperParams {
  /** Learning rate. */
  lr: number;
  /** L2 penalty coefficient: adds `weightDecay·w` to the gradient (decoupled in AdamW). */
  weightDecay: number;
  /** L1 penalty coefficient: adds `l1·sign(w)` to the gradient. Not in PyTorch; default 0. */
  l1: number;
  /** Step up the gradient (maximize the objective) instead of down. */
  maximize: boolean;
}

/**
 * A parameter group as the optimizer holds it: the parameters plus every option, resolved against
 * the optimizer's defaults. Schedules change `lr` (and record the starting one in `initialLr`).
 */
export type ParamGroup<H extends BaseHyperParams = BaseHyperParams> = H & {
  /** The parameters this group updates. */
  params: Tensor[];
  /** The learning rate a schedule started from (set by the first schedule attached). */
  initialLr?: number;
};

/** A parameter group as passed to an optimizer: parameters plus the options that differ from the defaults. */
export type ParamGroupInput<H extends BaseHyperParams = BaseHyperParams> = Partial<H> & {
  /** The parameters of this group, e.g. `model.features.parameters()`. */
  params: Iterable<Tensor>;
};

/** What an optimizer accepts: parameters (`model.parameters()`) or a list of parameter groups. */
export type ParamsInput<H extends BaseHyperParams = BaseHyperParams> =
  Iterable<Tensor> | Iterable<ParamGroupInput<H>>;

/**
 * One parameter's saved optimizer state: step counts as numbers, buffers as number arrays (the
 * JSON form `stateDict()` returns) or typed arrays (what `stateDict({ buffers: 'typed' })` returns
 * and optimizer files decode to; `loadStateDict` takes either).
 */
export type SavedParamState = Record<string, number | number[] | Float32Array | Float64Array>;

/** Options of `Optimizer.stateDict`. */
export interface StateDictOptions {
  /**
   * How buffers are returned: `'array'` (number arrays, JSON-serializable; the default),
   * `'typed'` (Float32Array/Float64Array copies: no per-element conversion) or `'view'` (the live
   * buffers themselves, valid until the next `step()`: for serializers that copy them at once,
   * as `st.save` does).
   */
  buffers?: 'array' | 'typed' | 'view';
}

/** A saved parameter group: its options plus the indices of its parameters. */
export type SavedParamGroup = Record<string, HyperParamValue> & { params: number[] };

/**
 * The JSON-serializable state of an optimizer, laid out like PyTorch's `state_dict()`: parameters
 * are numbered in order across the groups; `state` maps those numbers to per-parameter state
 * (only parameters that have been stepped, or that the optimizer initializes eagerly, appear).
 */
export interface OptimizerStateDict {
  /** Per-parameter state keyed by parameter index (as a string, since JSON keys are strings). */
  state: Record<string, SavedParamState>;
  /** Options of every parameter group and the indices of its parameters. */
  paramGroups: SavedParamGroup[];
}

/** Per-parameter optimizer state: numbers (step counts) and buffers shaped like the parameter. */
export type ParamState = object;

function isGroupInput<H extends BaseHyperParams>(x: Tensor | ParamGroupInput<H>): x is ParamGroupInput<H> {
  return !(x instanceof Tensor) && typeof x === 'object' && x !== null && 'params' in x;
}

/**
 * Base class of the optimizers. Subclasses give the update rule of one parameter; the base keeps
 * the parameter groups, the per-parameter state, `zeroGrad()`, `stateDict()`/`loadStateDict()`.
 *
 * `step()` updates parameters in place on their typed arrays (`param.data`), bumps the `version`
 * of each parameter it updates, and never records an autograd graph.
 */
export abstract class Optimizer<
  H extends BaseHyperParams = BaseHyperParams,
  S extends ParamState = ParamState,
> {
  /** The options a group gets when it does not set its own. */
  readonly defaults: H;
  /** The parameter groups, each with its own options (schedules change their `lr`). */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state (momentum buffers, running averages, step counts). */
  state = new Map<Tensor, S>();
  /** The optimizer's name, used in error messages. */
  protected readonly name: string;

  /**
   * @param name the optimizer's name for error messages (`'Adam'`).
   * @param params parameters or parameter groups.
   * @param defaults every option with its default value.
   * @param options the options the caller passed; names that are not options of `defaults` are
   *   refused (a plain-JavaScript `{ learningRate: 0.1 }` says `did you mean 'lr'?`).
   */
  protected constructor(name: string, params: ParamsInput<H>, defaults: H, options?: object) {
    checkOptionNames(name, options, Object.keys(defaults));
    this.name = name;
    this.defaults = defaults;
    this.checkHyperParams(defaults);
    const groups = toGroupInputs(name, params);
    if (groups.every((g) => g.params.length === 0)) {
      throw new ValueError(
        name,
        'got an empty parameter list. Fix: pass model.parameters() of a model that has parameters',
      );
    }
    for (const g of groups) this.addGroup(g.params, g.options);
  }

  /**
   * Add a parameter group (e.g. layers unfrozen during fine-tuning). Options it does not set take
   * the optimizer's defaults. A parameter may belong to only one group.
   */
  addParamGroup(group: ParamGroupInput<H>): void {
    const { params, ...options } = group;
    this.addGroup([...params], options);
  }

  private addGroup(list: unknown[], options: object): void {
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    const tensors: Tensor[] = [];
    list.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new ValueError(this.name, `parameter ${i} of the group is ${typeof p}, expected a Tensor`);
      }
      if (!p.isLeaf) {
        throw new ValueError(
          this.name,
          `cannot optimize a non-leaf tensor (parameter ${i} of the group was computed by '${p.gradFn?.name}'). ` +
            'Fix: optimize the leaf tensors (model.parameters()), or detach() a copy and set requiresGrad',
        );
      }
      if (seen.has(p)) {
        throw new ValueError(
          this.name,
          `parameter ${i} of the group appears more than once (in this or another parameter group). ` +
            'Fix: give each parameter to exactly one group',
        );
      }
      seen.add(p);
      tensors.push(p);
    });
    const known = new Set([...Object.keys(this.defaults), 'initialLr']);
    const merged = structuredClone(this.defaults);
    for (const [key, value] of Object.entries(options)) {
      if (!known.has(key)) {
        throw new ValueError(
          this.name,
          `unknown option '${key}' in a parameter group; ${this.name} options are ${[...known].join(', ')}`,
        );
      }
      if (value !== undefined) Reflect.set(merged, key, Array.isArray(value) ? [...value] : value);
    }
    const full: ParamGroup<H> = Object.assign(merged, { params: tensors });
    this.checkHyperParams(full);
    this.paramGroups.push(full);
  }

  /**
   * Clear the gradients of every parameter. With `setToNone` (the default) `.grad` becomes null;
   * otherwise existing gradients are filled with zeros.
   */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone) p.grad = null;
        else if (p.grad !== null) p.grad.data.fill(0);
      }
    }
  }

  /**
   * Update every parameter that has a gradient, in place. With a `closure` (which recomputes the
   * loss and calls backward), it runs first with gradient recording on and its result is returned.
   */
  step<T>(closure?: () => T): T | undefined {
    const loss = closure === undefined ? undefined : enableGrad(closure);
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        if (grad.size !== p.size) {
          throw new ShapeError(
            `${this.name}.step`,
            'a gradient does not match its parameter',
            p.shape,
            grad.shape,
            'the gradient must have the shape of the parameter; assign .grad only from backward()',
          );
        }
        let st = this.state.get(p);
        if (st === undefined) {
          st = this.initState(p, group);
          this.state.set(p, st);
        }
        this.updateParam(p.data, grad.data, st, group);
        p.markChanged();
      }
    }
    return loss;
  }

  /**
   * The optimizer's state (see {@link OptimizerStateDict}): plain JSON-serializable data, or with
   * `{ buffers: 'typed' }` buffers as typed-array copies (fast for large models).
   */
  stateDict(opts: StateDictOptions = {}): OptimizerStateDict {
    const mode = opts.buffers ?? 'array';
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const saved: SavedParamGroup = { ...serializeHyperParams(g, ['params']), params: [] };
      for (const p of g.params) {
        index.set(p, index.size);
        saved.params.push(index.size - 1);
      }
      return saved;
    });
    const state: Record<string, SavedParamState> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const out: SavedParamState = {};
      for (const [k, v] of Object.entries(st)) {
        if (typeof v === 'number') out[k] = v;
        else if (v instanceof Float32Array || v instanceof Float64Array)
          out[k] = mode === 'view' ? v : mode === 'typed' ? v.slice() : Array.from(v);
      }
      state[String(i)] = out;
    }
    return { state, paramGroups };
  }

  /**
   * Restore state saved by {@link stateDict} into an optimizer built over the same parameter groups
   * (same number of groups, same number of parameters in each). Group options (learning rates
   * included) and per-parameter state are replaced; the optimizer is unchanged if anything is
   * inconsistent.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (typeof sd !== 'object' || sd === null || !Array.isArray(sd.paramGroups)) {
      throw new ValueError(op, 'expected an object with paramGroups and state, as returned by stateDict()');
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new ValueError(
        op,
        `the saved state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}. ` +
          'Fix: build the optimizer with the same parameter groups as the one that was saved',
      );
    }
    const params: Tensor[] = [];
    const restored = this.paramGroups.map((g, gi) => {
      const saved = sd.paramGroups[gi]!;
      if (!Array.isArray(saved.params) || saved.params.length !== g.params.length) {
        throw new ValueError(
          op,
          `saved parameter group ${gi} has ${Array.isArray(saved.params) ? saved.params.length : 'no'} parameters, ` +
            `this optimizer's has ${g.params.length}. Fix: build the optimizer over the same parameters`,
        );
      }
      params.push(...g.params);
      const next = restoreHyperParams(op, `parameter group ${gi}`, g, saved, ['initialLr']);
      this.checkHyperParams(next);
      return next;
    });
    const state = new Map<Tensor, S>();
    for (const [key, raw] of Object.entries(sd.state ?? {})) {
      const i = Number(key);
      const p = params[i];
      if (!Number.isInteger(i) || p === undefined) {
        throw new ValueError(
          op,
          `state for parameter '${key}', but the optimizer has parameters 0..${params.length - 1}`,
        );
      }
      if (typeof raw !== 'object' || raw === null) {
        throw new ValueError(op, `state of parameter ${i} must be an object, got ${typeof raw}`);
      }
      state.set(p, this.decodeState(raw, p, i));
    }
    this.paramGroups.forEach((g, gi) => {
      for (const k of Object.keys(g)) if (k !== 'params') Reflect.deleteProperty(g, k);
      Object.assign(g, restored[gi]);
    });
    this.state = state;
  }

  /** Check the options of a group (or the defaults); throw a ValueError naming the bad one. */
  protected checkHyperParams(h: H): void {
    this.checkNonNegative('lr', h.lr);
    this.checkNonNegative('weightDecay', h.weightDecay);
    this.checkNonNegative('l1', h.l1);
    if (typeof h.maximize !== 'boolean') {
      throw new ValueError(this.name, `maximize must be a boolean, got ${typeof h.maximize}`);
    }
    this.checkOptions(h);
  }

  /** Throw unless `value` is a finite number >= 0. */
  protected checkNonNegative(option: string, value: number): void {
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new ValueError(this.name, `${option} must be a finite number >= 0, got ${value}`);
    }
  }

  /** Throw unless `value` is a number in [0, 1). */
  protected checkUnitInterval(option: string, value: number): void {
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw new ValueError(this.name, `${option} must be in [0, 1), got ${value}`);
    }
  }

  /** A buffer of the length and element type of `like` (a parameter's data), filled with `fill`. */
  protected buffer(like: FloatArray, fill = 0): FloatArray {
    const b = allocate(dtypeOf(like), like.length);
    if (fill !== 0) b.fill(fill);
    return b;
  }

  /** Read a saved buffer for parameter `p` (index `i`): a number or typed array of `p.size` values. */
  protected savedBuffer(raw: SavedParamState, key: string, p: Tensor, i: number): FloatArray {
    const v = raw[key];
    const isTyped = v instanceof Float32Array || v instanceof Float64Array;
    if (!(Array.isArray(v) || isTyped) || v.length !== p.size) {
      throw new ValueError(
        `${this.name}.loadStateDict`,
        `state '${key}' of parameter ${i} should be an array of ${p.size} numbers (the parameter's size), got ` +
          `${Array.isArray(v) || isTyped ? `${v.length} values` : typeof v}. Fix: load state saved for the same model`,
      );
    }
    const b = allocate(dtypeOf(p.data), p.size);
    if (isTyped) b.set(v);
    else for (let j = 0; j < v.length; j++) b[j] = v[j]!;
    return b;
  }

  /** Read a saved buffer that may be absent (returns undefined then). */
  protected savedOptionalBuffer(
    raw: SavedParamState,
    key: string,
    p: Tensor,
    i: number,
  ): FloatArray | undefined {
    return raw[key] === undefined ? undefined : this.savedBuffer(raw, key, p, i);
  }

  /** Read a saved number (a step count). */
  protected savedNumber(raw: SavedParamState, key: string, i: number): number {
    const v = raw[key];
    if (typeof v !== 'number') {
      throw new ValueError(
        `${this.name}.loadStateDict`,
        `state '${key}' of parameter ${i} should be a number, got ${Array.isArray(v) ? 'an array' : typeof v}`,
      );
    }
    return v;
  }

  /** Check the options specific to this optimizer. */
  protected abstract checkOptions(h: H): void;
  /** Fresh state for a parameter stepped for the first time. */
  protected abstract initState(p: Tensor, group: ParamGroup<H>): S;
  /** Rebuild a parameter's state from saved data (validating it). */
  protected abstract decodeState(raw: SavedParamState, p: Tensor, index: number): S;
  /** Update one parameter's values `w` in place given its gradient `g`. */
  protected abstract updateParam(w: FloatArray, g: FloatArray, state: S, group: ParamGroup<H>): void;
}

function toGroupInputs<H extends BaseHyperParams>(
  name: string,
  params: ParamsInput<H>,
): { params: unknown[]; options: object }[] {
  if (params instanceof Tensor) {
    throw new ValueError(
      name,
      'params must be an iterable of Tensors or of parameter groups, got a single Tensor. Fix: pass [tensor]',
    );
  }
  if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
    throw new ValueError(
      name,
      `params must be an iterable of Tensors or of parameter groups, got ${params === null ? 'null' : typeof params}`,
    );
  }
  const items: (Tensor | ParamGroupInput<H>)[] = [...params];
  if (items.every((x) => x instanceof Tensor)) return [{ params: items, options: {} }];
  return items.map((x, i) => {
    if (!isGroupInput(x)) {
      throw new ValueError(
        name,
        `item ${i} of params is neither a Tensor nor a parameter group {params, ...options}; ` +
          'do not mix tensors and groups. Fix: wrap loose tensors in their own group',
      );
    }
    const { params: list, ...options } = x;
    return { params: [...list], options };
  });
}
