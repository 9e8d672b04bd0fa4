import type { Optimizer } from '../optimizer.js';
import { checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative factor per step (the decks use 0.95). */
  gamma: number;
}

/**
 * Exponential decay, like `torch.optim.lr_scheduler.ExponentialLR`: `lr = lr0 · gamma^epoch`
 * (the decks' `α = 0.95^EPOCH · α0` with `gamma: 0.95`).
 */
export class ExponentialLR extends LRScheduler<ExponentialLROptions> {
  /** @param optimizer the optimizer to drive; @param options gamma (no default, as in PyTorch). */
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer, { gamma: options.gamma });
  }
  /** gamma must be a number >= 0. */
  protected checkOptions(o: ExponentialLROptions): void {
    checkNumber(this.name, 'gamma', o.gamma, 0);
  }
  /** lr0 · gamma^epoch. */
  protected computeLrs(epoch: number): number[] {
    const f = this.options.gamma ** epoch;
    return this.baseLrs.map((lr) => lr * f);
  }
}
