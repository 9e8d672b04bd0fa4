import { ValueError } from '../errors.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  Optimizer,
  type BaseHyperParams,
  type ParamGroup,
  type ParamsInput,
  type SavedParamState,
} from './optimizer.js';
import { penalizedGrad } from './regularization.js';

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamHyperParams extends BaseHyperParams {
  /** Decay rates of the running averages of the gradient and of its square. */
  betas: [number, number];
  /** Added to the denominator for numerical stability. */
  eps: number;
  /** Use the maximum of past squared-gradient averages (AMSGrad). */
  amsgrad: boolean;
}

/** Options accepted by the {@link Adam} and {@link AdamW} constructors. */
export type AdamOptions = Partial<AdamHyperParams>;

/** Per-parameter state of {@link Adam} and {@link AdamW}. */
export interface AdamState {
  /** Number of steps taken (for bias correction). */
  step: number;
  /** Running average of the gradient (first moment). */
  expAvg: FloatArray;
  /** Running average of the squared gradient (second moment). */
  expAvgSq: FloatArray;
  /** Maximum of the second moments so far (AMSGrad only). */
  maxExpAvgSq?: FloatArray;
}

/**
 * The shared machinery of {@link Adam} and {@link AdamW}: moments, bias correction, AMSGrad. The
 * two differ only in how weight decay enters (torch 1.13's single-tensor update rules).
 */
export abstract class AdamBase extends Optimizer<AdamHyperParams, AdamState> {
  /** Whether weight decay is decoupled from the gradient (AdamW) or added to it (Adam). */
  protected abstract decoupledWeightDecay(): boolean;

  /** Check betas and eps. */
  protected checkOptions(h: AdamHyperParams): void {
    if (!Array.isArray(h.betas) || h.betas.length !== 2) {
      throw new ValueError(this.name, `betas must be a pair [beta1, beta2], got ${JSON.stringify(h.betas)}`);
    }
    this.checkUnitInterval('betas[0]', h.betas[0]);
    this.checkUnitInterval('betas[1]', h.betas[1]);
    this.checkNonNegative('eps', h.eps);
  }

  /** Zero moments (and the AMSGrad maximum when enabled). */
  protected initState(p: Tensor, h: ParamGroup<AdamHyperParams>): AdamState {
    const s: AdamState = { step: 0, expAvg: this.buffer(p.data), expAvgSq: this.buffer(p.data) };
    if (h.amsgrad) s.maxExpAvgSq = this.buffer(p.data);
    return s;
  }

  /** Rebuild the state from saved data. */
  protected decodeState(raw: SavedParamState, p: Tensor, i: number): AdamState {
    const s: AdamState = {
      step: this.savedNumber(raw, 'step', i),
      expAvg: this.savedBuffer(raw, 'expAvg', p, i),
      expAvgSq: this.savedBuffer(raw, 'expAvgSq', p, i),
    };
    const maxExpAvgSq = this.savedOptionalBuffer(raw, 'maxExpAvgSq', p, i);
    if (maxExpAvgSq !== undefined) s.maxExpAvgSq = maxExpAvgSq;
    return s;
  }

  /** One Adam/AdamW step for one parameter. */
  protected updateParam(w: FloatArray, g: FloatArray, s: AdamState, h: ParamGroup<AdamHyperParams>): void {
    const { lr, eps, amsgrad, weightDecay, l1 } = h;
    const [beta1, beta2] = h.betas;
    const dir = h.maximize ? -1 : 1;
    const decoupled = this.decoupledWeightDecay();
    s.step += 1;
    const stepSize = lr / (1 - beta1 ** s.step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** s.step);
    const coupledDecay = decoupled ? 0 : weightDecay;
    const shrink = decoupled ? 1 - lr * weightDecay : 1;
    const m = s.expAvg;
    const v = s.expAvgSq;
    const vMax = amsgrad ? (s.maxExpAvgSq ??= this.buffer(w)) : undefined;
    const n = w.length;
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      const d = penalizedGrad(g[i]!, wi, dir, coupledDecay, l1);
      const mi = beta1 * m[i]! + (1 - beta1) * d;
      m[i] = mi;
      let vi = beta2 * v[i]! + (1 - beta2) * d * d;
      v[i] = vi;
      if (vMax !== undefined) {
        if (vMax[i]! > vi) vi = vMax[i]!;
        vMax[i] = vi;
      }
      w[i] = wi * shrink - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}

/**
 * Adam, exactly `torch.optim.Adam` (defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8): with
 * `d = g + weightDecay·w + l1·sign(w)` at step t, `m ← β1·m + (1−β1)·d`, `v ← β2·v + (1−β2)·d²`
 * (AMSGrad: `v̂ = max(v̂, v)` is used instead of v), `w ← w − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)`.
 *
 * @example const opt = new st.optim.Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  /** @param params parameters or parameter groups; @param options defaults for every group. */
  constructor(params: ParamsInput<AdamHyperParams>, options: AdamOptions = {}) {
    super('Adam', params, adamDefaults(options, 0), options);
  }
  /** Adam adds weight decay to the gradient. */
  protected decoupledWeightDecay(): boolean {
    return false;
  }
}

/**
 * AdamW (Adam with decoupled weight decay, Loshchilov & Hutter), exactly `torch.optim.AdamW`
 * (defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2): each step first shrinks the
 * weights, `w ← w·(1 − lr·weightDecay)`, then takes the Adam step on the plain gradient (plus
 * `l1·sign(w)` when `l1` is set).
 */
export class AdamW extends AdamBase {
  /** @param params parameters or parameter groups; @param options defaults for every group. */
  constructor(params: ParamsInput<AdamHyperParams>, options: AdamOptions = {}) {
    super('AdamW', params, adamDefaults(options, 1e-2), options);
  }
  /** AdamW shrinks the weights directly. */
  protected decoupledWeightDecay(): boolean {
    return true;
  }
}

function adamDefaults(o: AdamOptions, weightDecay: number): AdamHyperParams {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false,
    l1: o.l1 ?? 0,
    maximize: o.maximize ?? false,
  };
}
