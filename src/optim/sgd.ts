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

/** Options of {@link SGD}. */
export interface SGDHyperParams extends BaseHyperParams {
  /** Momentum factor (0: plain gradient descent). */
  momentum: number;
  /** Dampening of the gradient's contribution to the momentum buffer. */
  dampening: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  nesterov: boolean;
}

/** Options accepted by the {@link SGD} constructor; `lr` has no default (as in PyTorch). */
export type SGDOptions = Partial<SGDHyperParams>;

/** Per-parameter state of {@link SGD}: the momentum buffer, created on the first step with momentum. */
export interface SGDState {
  /** Velocity (absent without momentum). */
  momentumBuffer?: FloatArray;
}

/**
 * Stochastic gradient descent with optional momentum, dampening and Nesterov momentum, exactly
 * `torch.optim.SGD`: with `d = g + weightDecay·w + l1·sign(w)`,
 * `b ← momentum·b + (1 − dampening)·d` (b = d on the first step),
 * `w ← w − lr·(nesterov ? d + momentum·b : b)`.
 *
 * @example const opt = new st.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDHyperParams, SGDState> {
  /** @param params parameters or parameter groups; @param options defaults for every group. */
  constructor(params: ParamsInput<SGDHyperParams>, options: SGDOptions = {}) {
    super(
      'SGD',
      params,
      {
        lr: options.lr ?? Number.NaN,
        momentum: options.momentum ?? 0,
        dampening: options.dampening ?? 0,
        nesterov: options.nesterov ?? false,
        weightDecay: options.weightDecay ?? 0,
        l1: options.l1 ?? 0,
        maximize: options.maximize ?? false,
      },
      options,
    );
  }

  /**
   * Validate the options; the defaults may lack a learning rate (NaN) when every group sets its
   * own, a group may not.
   */
  protected override checkHyperParams(h: SGDHyperParams): void {
    if (!Number.isNaN(h.lr)) {
      super.checkHyperParams(h);
    } else if (h === this.defaults) {
      super.checkHyperParams({ ...h, lr: 0 });
    } else {
      throw new ValueError(
        'SGD',
        'needs a learning rate (SGD has no default lr). Fix: pass { lr: 0.01 } or give every parameter group an lr',
      );
    }
  }

  /** Check momentum, dampening and the Nesterov conditions. */
  protected checkOptions(h: SGDHyperParams): void {
    this.checkNonNegative('momentum', h.momentum);
    if (typeof h.dampening !== 'number' || !Number.isFinite(h.dampening)) {
      throw new ValueError('SGD', `dampening must be a finite number, got ${h.dampening}`);
    }
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new ValueError(
        'SGD',
        `Nesterov momentum requires momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`,
      );
    }
  }

  /** No state until the first step with momentum. */
  protected initState(): SGDState {
    return {};
  }

  /** Rebuild the momentum buffer from saved data. */
  protected decodeState(raw: SavedParamState, p: Tensor, i: number): SGDState {
    const momentumBuffer = this.savedOptionalBuffer(raw, 'momentumBuffer', p, i);
    return momentumBuffer === undefined ? {} : { momentumBuffer };
  }

  /** One SGD step for one parameter. */
  protected updateParam(w: FloatArray, g: FloatArray, s: SGDState, h: ParamGroup<SGDHyperParams>): void {
    const { lr, momentum, dampening, nesterov, weightDecay, l1 } = h;
    const dir = h.maximize ? -1 : 1;
    const n = w.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) {
        const wi = w[i]!;
        w[i] = wi - lr * penalizedGrad(g[i]!, wi, dir, weightDecay, l1);
      }
      return;
    }
    let buf = s.momentumBuffer;
    const first = buf === undefined;
    if (buf === undefined) {
      buf = this.buffer(w);
      s.momentumBuffer = buf;
    }
    const keep = first ? 0 : momentum;
    const take = first ? 1 : 1 - dampening;
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      const d = penalizedGrad(g[i]!, wi, dir, weightDecay, l1);
      const b = keep * buf[i]! + take * d;
      buf[i] = b;
      w[i] = wi - lr * (nesterov ? d + momentum * b : b);
    }
  }
}
