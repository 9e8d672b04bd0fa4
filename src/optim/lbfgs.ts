import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import type { FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import {
  Optimizer,
  type BaseHyperParams,
  type OptimizerStateDict,
  type ParamsInput,
  type SavedParamState,
} from './optimizer.js';
import { dot, maxAbs, strongWolfe } from './strong-wolfe.js';

/** Options of {@link LBFGS} (PyTorch's, in camelCase). */
export interface LBFGSHyperParams extends BaseHyperParams {
  /** Most iterations per `step()`. Default 20. */
  maxIter: number;
  /** Most loss evaluations per `step()`. Default `floor(maxIter · 5/4)`. */
  maxEval: number;
  /** Stop when max |gradient| is at most this. Default 1e-7 (PyTorch 1.13's). */
  toleranceGrad: number;
  /** Stop when the loss or the parameters change by less than this. Default 1e-9. */
  toleranceChange: number;
  /** How many (s, y) pairs approximate the inverse Hessian. Default 100. */
  historySize: number;
  /** `'strong_wolfe'` for the strong-Wolfe line search, `'none'` for fixed steps of `lr`. Default 'none'. */
  lineSearchFn: 'strong_wolfe' | 'none';
}

/** Options accepted by the {@link LBFGS} constructor; `lineSearchFn: null` means `'none'` as in PyTorch. */
export type LBFGSOptions = Partial<
  Omit<LBFGSHyperParams, 'lineSearchFn' | 'weightDecay' | 'l1' | 'maximize'>
> & {
  lineSearchFn?: 'strong_wolfe' | 'none' | null;
};

/**
 * The global state of {@link LBFGS} (kept, as in PyTorch, under the first parameter): counters,
 * the last direction and step, the curvature pairs and the previous gradient and loss.
 */
export interface LBFGSState {
  /** Loss evaluations over all steps. */
  funcEvals: number;
  /** Iterations over all steps. */
  nIter: number;
  d?: Float64Array;
  t?: number;
  /** Gradient differences y_k, oldest first. */
  oldDirs: Float64Array[];
  /** Parameter steps s_k, oldest first. */
  oldStps: Float64Array[];
  /** 1 / (y_k · s_k). */
  ro: number[];
  /** Scale of the initial inverse-Hessian approximation. */
  hDiag: number;
  prevFlatGrad?: Float64Array;
  prevLoss?: number;
}

/** What an LBFGS closure returns: the loss as a scalar tensor or a number. */
export type LossClosure = () => Tensor | number;

/**
 * Limited-memory BFGS, exactly `torch.optim.LBFGS` (PyTorch 1.13, which follows minFunc): each
 * `step(closure)` runs up to `maxIter` iterations, each building the direction from the last
 * `historySize` curvature pairs by the two-loop recursion and moving along it either by `lr`
 * (the first iteration by `min(1, 1/‖g‖₁)·lr`) or by a strong-Wolfe line search
 * (`lineSearchFn: 'strong_wolfe'`). The closure must zero the gradients, compute the loss, call
 * `backward()` and return the loss; it is called several times per step. One parameter group
 * only; no weight decay (add a penalty inside the closure instead). Internally the flat vectors are
 * float64; the parameters keep their dtype.
 *
 * @example
 * const opt = new st.LBFGS([x], { lineSearchFn: 'strong_wolfe' });
 * opt.step(() => { opt.zeroGrad(); const loss = f(x); loss.backward(); return loss; });
 */
export class LBFGS extends Optimizer<LBFGSHyperParams, LBFGSState> {
  readonly #params: Tensor[];

  /** @param params the parameters (one group); @param options PyTorch's LBFGS options in camelCase. */
  constructor(params: ParamsInput<LBFGSHyperParams>, options: LBFGSOptions = {}) {
    const maxIter = options.maxIter ?? 20;
    super('LBFGS', params, {
      lr: options.lr ?? 1,
      maxIter,
      maxEval: options.maxEval ?? Math.floor((maxIter * 5) / 4),
      toleranceGrad: options.toleranceGrad ?? 1e-7,
      toleranceChange: options.toleranceChange ?? 1e-9,
      historySize: options.historySize ?? 100,
      lineSearchFn: options.lineSearchFn ?? 'none',
      weightDecay: 0,
      l1: 0,
      maximize: false,
    });
    if (this.paramGroups.length !== 1) {
      throw new ValueError(
        'LBFGS',
        `supports one parameter group (as in PyTorch), got ${this.paramGroups.length}. Fix: pass the parameters as one list`,
      );
    }
    this.#params = this.paramGroups[0]!.params;
  }

  /** Check the iteration limits, tolerances, history size and line search. */
  protected checkOptions(h: LBFGSHyperParams): void {
    for (const k of ['maxIter', 'maxEval', 'historySize'] as const) {
      if (!Number.isInteger(h[k]) || h[k] < 1) {
        throw new ValueError('LBFGS', `${k} must be an integer >= 1, got ${h[k]}`);
      }
    }
    this.checkNonNegative('toleranceGrad', h.toleranceGrad);
    this.checkNonNegative('toleranceChange', h.toleranceChange);
    if (h.lineSearchFn !== 'strong_wolfe' && h.lineSearchFn !== 'none') {
      throw new ValueError(
        'LBFGS',
        `lineSearchFn must be 'strong_wolfe' or 'none' (null), got ${JSON.stringify(h.lineSearchFn)}`,
      );
    }
    if (h.weightDecay !== 0 || h.l1 !== 0 || h.maximize) {
      throw new ValueError(
        'LBFGS',
        'has no weightDecay, l1 or maximize options (as in PyTorch). Fix: add the penalty to the loss the closure returns',
      );
    }
  }

  /** Fresh global state. */
  protected initState(): LBFGSState {
    return { funcEvals: 0, nIter: 0, oldDirs: [], oldStps: [], ro: [], hDiag: 1 };
  }

  /** LBFGS updates all parameters together in {@link step}; there is no per-parameter rule. */
  protected updateParam(): void {
    throw new ValueError('LBFGS', 'updates all parameters together. Fix: call step(closure)');
  }

  #numel(): number {
    return this.#params.reduce((n, p) => n + p.size, 0);
  }

  #flatGrad(): Float64Array {
    const out = new Float64Array(this.#numel());
    let o = 0;
    for (const p of this.#params) {
      if (p.grad !== null) out.set(p.grad.data, o);
      o += p.size;
    }
    return out;
  }

  #addToParams(t: number, d: Float64Array): void {
    let o = 0;
    for (const p of this.#params) {
      const w = p.data;
      for (let i = 0; i < w.length; i++) w[i] = w[i]! + t * d[o + i]!;
      o += p.size;
      p.markChanged();
    }
  }

  #setParams(x: FloatArray[]): void {
    this.#params.forEach((p, i) => {
      p.data.set(x[i]!);
      p.markChanged();
    });
  }

  /**
   * Run up to `maxIter` L-BFGS iterations. `closure` must recompute the loss with gradients
   * (zero them first) and return it; it always runs with gradient recording on. Returns the loss
   * of the first evaluation, as PyTorch does.
   */
  override step<T>(closure?: () => T): T | undefined {
    if (typeof closure !== 'function') {
      throw new ValueError(
        'LBFGS.step',
        'needs a closure that zeroes the gradients, computes the loss, calls backward() and returns the loss',
      );
    }
    const evaluate = (): { value: T; loss: number } => {
      const value = enableGrad(closure);
      return { value, loss: lossNumber(value) };
    };
    return noGrad(() => this.#run(evaluate));
  }

  #run<T>(evaluate: () => { value: T; loss: number }): T {
    const group = this.paramGroups[0]!;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, historySize, lineSearchFn } = group;
    const first = this.#params[0]!;
    let state = this.state.get(first);
    if (state === undefined) {
      state = this.initState();
      this.state.set(first, state);
    }
    const orig = evaluate();
    let loss = orig.loss;
    let currentEvals = 1;
    state.funcEvals += 1;
    let flatGrad = this.#flatGrad();
    let optCond = maxAbs(flatGrad) <= toleranceGrad;
    if (optCond) return orig.value;

    let { d, t, prevFlatGrad, prevLoss } = state;
    let hDiag = state.hDiag;
    const { oldDirs, oldStps, ro } = state;
    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      state.nIter += 1;
      // Direction.
      if (state.nIter === 1 || d === undefined || t === undefined || prevFlatGrad === undefined) {
        d = flatGrad.map((v) => -v);
        oldDirs.length = 0;
        oldStps.length = 0;
        ro.length = 0;
        hDiag = 1;
      } else {
        const y = flatGrad.map((v, i) => v - prevFlatGrad![i]!);
        const tt = t;
        const s = d.map((v) => v * tt);
        const ys = dot(y, s);
        if (ys > 1e-10) {
          if (oldDirs.length === historySize) {
            oldDirs.shift();
            oldStps.shift();
            ro.shift();
          }
          oldDirs.push(y);
          oldStps.push(s);
          ro.push(1 / ys);
          hDiag = ys / dot(y, y);
        }
        // Two-loop recursion: d = −H·g.
        const numOld = oldDirs.length;
        const al = new Array<number>(numOld).fill(0);
        const q = flatGrad.map((v) => -v);
        for (let i = numOld - 1; i >= 0; i--) {
          const a = dot(oldStps[i]!, q) * ro[i]!;
          al[i] = a;
          const yi = oldDirs[i]!;
          for (let j = 0; j < q.length; j++) q[j] = q[j]! - a * yi[j]!;
        }
        const r = q.map((v) => v * hDiag);
        for (let i = 0; i < numOld; i++) {
          const be = dot(oldDirs[i]!, r) * ro[i]!;
          const si = oldStps[i]!;
          const c = al[i]! - be;
          for (let j = 0; j < r.length; j++) r[j] = r[j]! + c * si[j]!;
        }
        d = r;
      }
      prevFlatGrad = flatGrad.slice();
      prevLoss = loss;

      // Step length.
      if (state.nIter === 1) {
        let l1 = 0;
        for (let i = 0; i < flatGrad.length; i++) l1 += Math.abs(flatGrad[i]!);
        t = Math.min(1, 1 / l1) * lr;
      } else {
        t = lr;
      }
      const gtd = dot(flatGrad, d);
      if (gtd > -toleranceChange) break;

      let lsEvals = 0;
      if (lineSearchFn === 'strong_wolfe') {
        const x = this.#params.map((p) => p.data.slice());
        const found = strongWolfe(
          (step, dir) => {
            this.#addToParams(step, dir);
            const l = evaluate().loss;
            const g = this.#flatGrad();
            this.#setParams(x);
            return { loss: l, grad: g };
          },
          t,
          d,
          loss,
          flatGrad,
          gtd,
        );
        loss = found.loss;
        flatGrad = found.grad;
        t = found.t;
        lsEvals = found.evals;
        this.#addToParams(t, d);
        optCond = maxAbs(flatGrad) <= toleranceGrad;
      } else {
        this.#addToParams(t, d);
        if (nIter !== maxIter) {
          loss = evaluate().loss;
          flatGrad = this.#flatGrad();
          optCond = maxAbs(flatGrad) <= toleranceGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      state.funcEvals += lsEvals;

      // Stopping conditions.
      if (nIter === maxIter || currentEvals >= maxEval || optCond) break;
      if (maxAbs(d) * Math.abs(t) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }
    Object.assign(state, { d, t, hDiag, prevFlatGrad, prevLoss });
    return orig.value;
  }

  /** Like every optimizer's, plus the curvature pairs (`oldDirs`/`oldStps` concatenated, `ro`). */
  override stateDict(): OptimizerStateDict {
    const sd = super.stateDict();
    const st = this.state.get(this.#params[0]!);
    const saved = sd.state['0'];
    if (st !== undefined && saved !== undefined) {
      saved.oldDirs = st.oldDirs.flatMap((v) => Array.from(v));
      saved.oldStps = st.oldStps.flatMap((v) => Array.from(v));
      saved.ro = [...st.ro];
    }
    return sd;
  }

  /** Rebuild the global state saved by {@link stateDict}. */
  protected decodeState(raw: SavedParamState, _p: Tensor, index: number): LBFGSState {
    const n = this.#numel();
    const op = 'LBFGS.loadStateDict';
    if (index !== 0)
      throw new ValueError(op, `LBFGS keeps its state under parameter 0, got state for ${index}`);
    const vec = (key: string, multipleOf: number): Float64Array | undefined => {
      const v = raw[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length % multipleOf !== 0) {
        throw new ValueError(op, `state '${key}' must be an array of a multiple of ${multipleOf} numbers`);
      }
      return Float64Array.from(v);
    };
    const split = (v: Float64Array | undefined): Float64Array[] => {
      const out: Float64Array[] = [];
      if (v !== undefined) for (let o = 0; o < v.length; o += n) out.push(v.slice(o, o + n));
      return out;
    };
    const ro = Array.from(vec('ro', 1) ?? []);
    const oldDirs = split(vec('oldDirs', n));
    const oldStps = split(vec('oldStps', n));
    if (oldDirs.length !== ro.length || oldStps.length !== ro.length) {
      throw new ValueError(op, 'oldDirs, oldStps and ro must hold the same number of curvature pairs');
    }
    const s: LBFGSState = {
      funcEvals: this.savedNumber(raw, 'funcEvals', index),
      nIter: this.savedNumber(raw, 'nIter', index),
      hDiag: this.savedNumber(raw, 'hDiag', index),
      oldDirs,
      oldStps,
      ro,
    };
    const d = vec('d', n);
    const prev = vec('prevFlatGrad', n);
    if (d !== undefined) s.d = d;
    if (prev !== undefined) s.prevFlatGrad = prev;
    if (typeof raw.t === 'number') s.t = raw.t;
    if (typeof raw.prevLoss === 'number') s.prevLoss = raw.prevLoss;
    return s;
  }
}

function lossNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor && v.size === 1) return v.item();
  throw new ValueError(
    'LBFGS.step',
    `the closure must return the loss (a scalar tensor or a number), got ${v instanceof Tensor ? `a tensor of shape [${v.shape.join(', ')}]` : typeof v}`,
  );
}
