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

/** Options of {@link RMSprop}. */
export interface RMSpropHyperParams extends BaseHyperParams {
  /** Smoothing constant of the running average of squared gradients. */
  alpha: number;
  /** Added to the denominator for numerical stability. */
  eps: number;
  /** Momentum factor applied to the normalized step (0: none). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance (subtracting the squared mean gradient). */
  centered: boolean;
}

/** Options accepted by the {@link RMSprop} constructor (PyTorch's defaults). */
export type RMSpropOptions = Partial<RMSpropHyperParams>;

/** Per-parameter state of {@link RMSprop}. */
export interface RMSpropState {
  /** Number of steps taken. */
  step: number;
  /** Running average of squared gradients. */
  squareAvg: FloatArray;
  /** Momentum buffer (with momentum > 0). */
  momentumBuffer?: FloatArray;
  /** Running average of gradients (when centered). */
  gradAvg?: FloatArray;
}

/**
 * RMSprop, exactly `torch.optim.RMSprop` (defaults lr 1e-2, alpha 0.99, eps 1e-8): with
 * `d = g + weightDecay·w + l1·sign(w)`, `v ← α·v + (1−α)·d²`, `avg = √v + eps` (centered:
 * `m ← α·m + (1−α)·d`, `avg = √(v − m²) + eps`); `w ← w − lr·d/avg`, or with momentum
 * `b ← momentum·b + d/avg`, `w ← w − lr·b`.
 */
export class RMSprop extends Optimizer<RMSpropHyperParams, RMSpropState> {
  /** @param params parameters or parameter groups; @param options defaults for every group. */
  constructor(params: ParamsInput<RMSpropHyperParams>, options: RMSpropOptions = {}) {
    super(
      'RMSprop',
      params,
      {
        lr: options.lr ?? 1e-2,
        alpha: options.alpha ?? 0.99,
        eps: options.eps ?? 1e-8,
        weightDecay: options.weightDecay ?? 0,
        momentum: options.momentum ?? 0,
        centered: options.centered ?? false,
        l1: options.l1 ?? 0,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  /** Check alpha, eps and momentum. */
  protected checkOptions(h: RMSpropHyperParams): void {
    this.checkNonNegative('alpha', h.alpha);
    this.checkNonNegative('eps', h.eps);
    this.checkNonNegative('momentum', h.momentum);
  }

  /** Zero running averages (and buffers the group's options need). */
  protected initState(p: Tensor, h: ParamGroup<RMSpropHyperParams>): RMSpropState {
    const s: RMSpropState = { step: 0, squareAvg: this.buffer(p.data) };
    if (h.momentum > 0) s.momentumBuffer = this.buffer(p.data);
    if (h.centered) s.gradAvg = this.buffer(p.data);
    return s;
  }

  /** Rebuild the state from saved data. */
  protected decodeState(raw: SavedParamState, p: Tensor, i: number): RMSpropState {
    const s: RMSpropState = {
      step: this.savedNumber(raw, 'step', i),
      squareAvg: this.savedBuffer(raw, 'squareAvg', p, i),
    };
    const momentumBuffer = this.savedOptionalBuffer(raw, 'momentumBuffer', p, i);
    const gradAvg = this.savedOptionalBuffer(raw, 'gradAvg', p, i);
    if (momentumBuffer !== undefined) s.momentumBuffer = momentumBuffer;
    if (gradAvg !== undefined) s.gradAvg = gradAvg;
    return s;
  }

  /** One RMSprop step for one parameter. */
  protected updateParam(
    w: FloatArray,
    g: FloatArray,
    s: RMSpropState,
    h: ParamGroup<RMSpropHyperParams>,
  ): void {
    const { lr, alpha, eps, momentum, centered, weightDecay, l1 } = h;
    const dir = h.maximize ? -1 : 1;
    s.step += 1;
    const sq = s.squareAvg;
    // Options may change between steps (a schedule cycling momentum): create buffers on demand.
    const ga = centered ? (s.gradAvg ??= this.buffer(w)) : undefined;
    const buf = momentum > 0 ? (s.momentumBuffer ??= this.buffer(w)) : undefined;
    const n = w.length;
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      const d = penalizedGrad(g[i]!, wi, dir, weightDecay, l1);
      const v = alpha * sq[i]! + (1 - alpha) * d * d;
      sq[i] = v;
      let avg: number;
      if (ga !== undefined) {
        const m = alpha * ga[i]! + (1 - alpha) * d;
        ga[i] = m;
        avg = Math.sqrt(v - m * m) + eps;
      } else {
        avg = Math.sqrt(v) + eps;
      }
      if (buf !== undefined) {
        const b = momentum * buf[i]! + d / avg;
        buf[i] = b;
        w[i] = wi - lr * b;
      } else {
        w[i] = wi - (lr * d) / avg;
      }
    }
  }
}
