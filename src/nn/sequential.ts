import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { withInferenceBuffers } from '../tensor/inference-buffer-pool.js';
import { chainAt, fusedInferenceActive, type FusedConvChain } from './inference-fusion.js';
import { runPlanned } from './inference-plan.js';
import { keepsNoValues, registerStockContainerForward, releaseDeadValue } from './inference-liveness.js';
import { activateInPlace } from '../ops/fused-activation.js';
import { inPlaceActivationOf, outputIsScratch } from './in-place-steps.js';
import { bumpLayerStateEpoch, layerStateEpoch } from './layer-state-epoch.js';
import { Module } from './module.js';

/** A fused conv chain and how many layers it covers. */
type FusedChain = FusedConvChain & { length: number };

function isModuleRecord(v: unknown): v is Readonly<Record<string, Module>> {
  return typeof v === 'object' && v !== null && !(v instanceof Module);
}

/**
 * Modules run one after another, like `torch.nn.Sequential`. Children are named `'0'`, `'1'`, ...
 * (state-dict keys `0.weight`, `3.running_mean`), or by the keys of a record:
 * `new Sequential({ conv: new Conv2d(1, 6, 5), relu: new ReLU() })`.
 *
 * Indexable by position like PyTorch's (`model[0]`, and `model[2] = new Linear(...)` replaces the
 * third layer, keeping its name); {@link at} also takes negative positions and {@link get} names.
 */
export class Sequential extends Module {
  [index: number]: Module;
  readonly #names: string[] = [];
  readonly #layers: Module[] = [];
  /** The fused chain starting at each layer (or null) and whether each layer keeps no reference
   * to what it sees, as of the layer-state epoch `epoch` (see layer-state-epoch.ts). */
  #plan: { epoch: number; chains: (FusedChain | null)[]; clean: boolean[] } | null = null;

  /** `new Sequential(a, b, c)` names the layers '0', '1', '2'; a record names them by its keys. */
  constructor(...layers: Module[]);
  constructor(named: Readonly<Record<string, Module>>);
  constructor(...args: (Module | Readonly<Record<string, Module>>)[]) {
    super();
    if (args.length === 1 && isModuleRecord(args[0])) {
      for (const [name, m] of Object.entries(args[0])) this.append(m, name);
    } else {
      for (const [i, m] of args.entries()) {
        if (!(m instanceof Module)) {
          throw new ValueError(
            'Sequential',
            `argument ${i} is not a Module. Fix: pass modules (new Sequential(a, b)) or one record of them (new Sequential({a, b}))`,
          );
        }
        this.append(m);
      }
    }
  }

  /** Number of layers. */
  get length(): number {
    return this.#layers.length;
  }

  /** Add a layer at the end, named `name` (default: its position). Returns this. */
  append(module: Module, name?: string): this {
    if (!(module instanceof Module))
      throw new ValueError('Sequential.append', 'expected a Module. Fix: pass a layer such as new ReLU()');
    const n = name ?? String(this.#layers.length);
    if (n === '' || n.includes('.'))
      throw new ValueError(
        'Sequential.append',
        `layer names must be non-empty and dot-free, got ${JSON.stringify(n)}`,
      );
    if (this.#names.includes(n))
      throw new ValueError('Sequential.append', `a layer is already named '${n}'. Fix: pick another name`);
    const i = this.#layers.length;
    this.#names.push(n);
    this.#layers.push(module);
    bumpLayerStateEpoch();
    Object.defineProperty(this, i, {
      get: () => this.#layers[i],
      set: (m: Module) => this.#replaceAt(i, m),
      configurable: true,
    });
    return this;
  }

  #index(op: string, i: number): number {
    const n = this.#layers.length;
    const j = i < 0 ? i + n : i;
    if (!Number.isInteger(i) || j < 0 || j >= n)
      throw new ValueError(op, `index ${i} is out of range for a Sequential of ${n} layers`);
    return j;
  }

  #replaceAt(i: number, m: Module): void {
    if (!(m instanceof Module)) throw new ValueError('Sequential', 'only a Module can replace a layer');
    this.#layers[this.#index('Sequential.set', i)] = m;
    bumpLayerStateEpoch();
  }

  /** The layer at position `i` (negative counts from the end). */
  at(i: number): Module {
    return this.#layers[this.#index('Sequential.at', i)]!;
  }

  /** The layer named `name`, or at position `name` when given a number. */
  get(name: string | number): Module {
    if (typeof name === 'number') return this.at(name);
    const i = this.#names.indexOf(name);
    if (i < 0)
      throw new ValueError(
        'Sequential.get',
        `no layer named '${name}'; the layers are ${this.#names.join(', ')}`,
      );
    return this.#layers[i]!;
  }

  /** Replace the layer at position `i` (negative counts from the end), keeping its name. Returns this. */
  set(i: number, module: Module): this {
    this.#replaceAt(i, module);
    return this;
  }

  /**
   * A new Sequential holding layers start..end-1 (negative positions count from the end), keeping
   * their names and sharing the modules (not copies), like slicing in PyTorch: `model.slice(0, -1)`
   * drops the classifier.
   */
  slice(start = 0, end = this.#layers.length): Sequential {
    const n = this.#layers.length;
    const s = Math.max(0, start < 0 ? start + n : Math.min(start, n));
    const e = Math.max(0, end < 0 ? end + n : Math.min(end, n));
    const out = new Sequential();
    for (let i = s; i < e; i++) out.append(this.#layers[i]!, this.#names[i]);
    return out;
  }

  /** Iterate over the layers in order. */
  [Symbol.iterator](): IterableIterator<Module> {
    return this.#layers[Symbol.iterator]();
  }

  override namedChildren(): [string, Module][] {
    return this.#names.map((n, i) => [n, this.#layers[i]!]);
  }

  protected override replaceChild(name: string, module: Module): void {
    const i = this.#names.indexOf(name);
    if (i < 0) super.replaceChild(name, module);
    else this.#replaceAt(i, module);
  }

  /**
   * Feed `x` through every layer in turn. Under `noGrad`, a `Conv2d` followed by a `BatchNorm2d`
   * and/or a `ReLU`/`ReLU6`, all in evaluation mode and without hooks, runs as one convolution
   * with the batch norm folded in and the activation in place (same values up to float rounding).
   */
  forward(x: Tensor): Tensor {
    const layers = this.#layers;
    if (!fusedInferenceActive()) {
      let y = x;
      // A ReLU/ReLU6 after a convolution or batch norm overwrites that layer's output (see
      // in-place-steps.ts); the input x is the caller's and is never overwritten.
      let made: Module | null = null;
      for (const layer of layers) {
        const act = outputIsScratch(made) ? inPlaceActivationOf(layer) : null;
        y = act ? activateInPlace(y, act) : layer.forward(y);
        made = layer;
      }
      return y;
    }
    return runPlanned(this, [x], () => [this.forwardFusedPrefix(x, layers.length)])[0]!;
  }

  /**
   * @internal The fused inference forward of the first `end` layers (see {@link forward}); graphs
   * run a block's layers before its last convolution this way, then that convolution together
   * with the block's residual sum.
   */
  forwardFusedPrefix(x: Tensor, end: number): Tensor {
    return withInferenceBuffers(() => this.#runFused(x, end));
  }

  #runFused(x: Tensor, end: number): Tensor {
    const layers = this.#layers;
    const { chains, clean } = this.#fusedPlan();
    let y = x;
    // Whether y was made by a layer here that keeps no reference to it (y is then given back to
    // the inference buffer pool once the next layer, keeping none either, has read it).
    let owned = false;
    for (let i = 0; i < end;) {
      const found = chains[i]!;
      const chain = found !== null && i + found.length <= end ? found : null;
      const next = chain ? chain.conv.forwardFused(y, chain.bn, chain.activation) : layers[i]!.forward(y);
      const keepsNone = chain !== null || clean[i]!;
      if (owned && keepsNone) releaseDeadValue(y, [next]);
      y = next;
      owned = keepsNone;
      i += chain ? chain.length : 1;
    }
    return y;
  }

  /** The chains and liveness of the layers, worked out again only when the layer-state epoch moved. */
  #fusedPlan(): { chains: (FusedChain | null)[]; clean: boolean[] } {
    const epoch = layerStateEpoch();
    const p = this.#plan;
    if (p !== null && p.epoch === epoch) return p;
    const layers = this.#layers;
    const plan = {
      epoch,
      chains: layers.map((_, i) => chainAt(layers, i)),
      clean: layers.map((m) => keepsNoValues(m)),
    };
    this.#plan = plan;
    return plan;
  }
}

registerStockContainerForward(Sequential.prototype.forward);
