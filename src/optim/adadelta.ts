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

/** Options of {@link Adadelta}. */
export interface AdadeltaHyperParams extends BaseHyperParams {
  /** Decay rate of the running averages of squared gradients and squared updates. */
  rho: number;
  /** Added inside the square roots for numerical stability. */
  eps: number;
}

/** Options accepted by the {@link Adadelta} constructor (PyTorch's defaults). */
export type AdadeltaOptions = Partial<AdadeltaHyperParams>;

/** Per-parameter state of {@link Adadelta}. */
export interface AdadeltaState {
  /** Number of steps taken. */
  step: number;
  /** Running average of squared gradients. */
  squareAvg: FloatArray;
  /** Running average of squared updates. */
  accDelta: FloatArray;
}

/**
 * Adadelta (Zeiler 2012), exactly `torch.optim.Adadelta` (defaults lr 1, rho 0.9, eps 1e-6): with
 * `d = g + weightDecay·w + l1·sign(w)`, `v ← ρ·v + (1−ρ)·d²`, `Δ = √(u + eps)/√(v + eps) · d`,
 * `u ← ρ·u + (1−ρ)·Δ²`, `w ← w − lr·Δ`.
 */
export class Adadelta extends Optimizer<AdadeltaHyperParams, AdadeltaState> {
  /** @param params parameters or parameter groups; @param options defaults for every group. */
  constructor(params: ParamsInput<AdadeltaHyperParams>, options: AdadeltaOptions = {}) {
    super(
      'Adadelta',
      params,
      {
        lr: options.lr ?? 1,
        rho: options.rho ?? 0.9,
        eps: options.eps ?? 1e-6,
        weightDecay: options.weightDecay ?? 0,
        l1: options.l1 ?? 0,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  /** Check rho and eps. */
  protected checkOptions(h: AdadeltaHyperParams): void {
    if (typeof h.rho !== 'number' || !(h.rho >= 0 && h.rho <= 1)) {
      throw new ValueError('Adadelta', `rho must be in [0, 1], got ${h.rho}`);
    }
    this.checkNonNegative('eps', h.eps);
  }

  /** Zero running averages. */
  protected initState(p: Tensor): AdadeltaState {
    return { step: 0, squareAvg: this.buffer(p.data), accDelta: this.buffer(p.data) };
  }

  /** Rebuild the state from saved data. */
  protected decodeState(raw: SavedParamState, p: Tensor, i: number): AdadeltaState {
    return {
      step: this.savedNumber(raw, 'step', i),
      squareAvg: this.savedBuffer(raw, 'squareAvg', p, i),
      accDelta: this.savedBuffer(raw, 'accDelta', p, i),
    };
  }

  /** One Adadelta step for one parameter. */
  protected updateParam(
    w: FloatArray,
    g: FloatArray,
    s: AdadeltaState,
    h: ParamGroup<AdadeltaHyperParams>,
  ): void {
    const { lr, rho, eps, weightDecay, l1 } = h;
    const dir = h.maximize ? -1 : 1;
    s.step += 1;
    const sq = s.squareAvg;
    const acc = s.accDelta;
    const n = w.length;
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      const d = penalizedGrad(g[i]!, wi, dir, weightDecay, l1);
      const v = rho * sq[i]! + (1 - rho) * d * d;
      sq[i] = v;
      const delta = (Math.sqrt(acc[i]! + eps) / Math.sqrt(v + eps)) * d;
      acc[i] = rho * acc[i]! + (1 - rho) * delta * delta;
      w[i] = wi - lr * delta;
    }
  }
}
