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

/** Options of {@link Adagrad}. */
export interface AdagradHyperParams extends BaseHyperParams {
  /** Learning-rate decay: step t uses `lr / (1 + (t−1)·lrDecay)`. */
  lrDecay: number;
  /** Starting value of the sum of squared gradients. */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability. */
  eps: number;
}

/** Options accepted by the {@link Adagrad} constructor (PyTorch's defaults). */
export type AdagradOptions = Partial<AdagradHyperParams>;

/** Per-parameter state of {@link Adagrad}. */
export interface AdagradState {
  /** Number of steps taken. */
  step: number;
  /** Sum of squared gradients. */
  sum: FloatArray;
}

/**
 * Adagrad, exactly `torch.optim.Adagrad` (defaults lr 1e-2, lrDecay 0, initialAccumulatorValue 0,
 * eps 1e-10): with `d = g + weightDecay·w + l1·sign(w)` at step t, `s ← s + d²`,
 * `w ← w − lr/(1 + (t−1)·lrDecay) · d/(√s + eps)`. Like PyTorch, the state of every parameter is
 * created at construction.
 */
export class Adagrad extends Optimizer<AdagradHyperParams, AdagradState> {
  /** @param params parameters or parameter groups; @param options defaults for every group. */
  constructor(params: ParamsInput<AdagradHyperParams>, options: AdagradOptions = {}) {
    super(
      'Adagrad',
      params,
      {
        lr: options.lr ?? 1e-2,
        lrDecay: options.lrDecay ?? 0,
        weightDecay: options.weightDecay ?? 0,
        initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
        eps: options.eps ?? 1e-10,
        l1: options.l1 ?? 0,
        maximize: options.maximize ?? false,
      },
      options,
    );
    for (const g of this.paramGroups) for (const p of g.params) this.state.set(p, this.initState(p, g));
  }

  /** Check lrDecay, initialAccumulatorValue and eps. */
  protected checkOptions(h: AdagradHyperParams): void {
    this.checkNonNegative('lrDecay', h.lrDecay);
    this.checkNonNegative('initialAccumulatorValue', h.initialAccumulatorValue);
    this.checkNonNegative('eps', h.eps);
  }

  /** The accumulator starts at the group's initialAccumulatorValue. */
  protected initState(p: Tensor, h: ParamGroup<AdagradHyperParams>): AdagradState {
    return { step: 0, sum: this.buffer(p.data, h.initialAccumulatorValue) };
  }

  /** Rebuild the state from saved data. */
  protected decodeState(raw: SavedParamState, p: Tensor, i: number): AdagradState {
    return { step: this.savedNumber(raw, 'step', i), sum: this.savedBuffer(raw, 'sum', p, i) };
  }

  /** One Adagrad step for one parameter. */
  protected updateParam(
    w: FloatArray,
    g: FloatArray,
    s: AdagradState,
    h: ParamGroup<AdagradHyperParams>,
  ): void {
    const { lr, lrDecay, eps, weightDecay, l1 } = h;
    const dir = h.maximize ? -1 : 1;
    s.step += 1;
    const clr = lr / (1 + (s.step - 1) * lrDecay);
    const acc = s.sum;
    const n = w.length;
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      const d = penalizedGrad(g[i]!, wi, dir, weightDecay, l1);
      const a = acc[i]! + d * d;
      acc[i] = a;
      w[i] = wi - (clr * d) / (Math.sqrt(a) + eps);
    }
  }
}
