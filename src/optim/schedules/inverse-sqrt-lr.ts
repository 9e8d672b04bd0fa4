import type { Optimizer } from '../optimizer.js';
import { checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link InverseSqrtLR}. */
export interface InverseSqrtLROptions {
  /** The constant k. Default 1. */
  k: number;
}

/**
 * Inverse-square-root decay, the decks' `α = k/√EPOCH · α0` (per epoch) and `α = k/√t · α0` (per
 * mini-batch t). The decks count from 1, the counter from 0, so precisely:
 * `lr = k · lr0 / √(epoch + 1)`, giving `k·lr0` in the first epoch (or batch), `k·lr0/√2` in the
 * second, and so on.
 */
export class InverseSqrtLR extends LRScheduler<InverseSqrtLROptions> {
  /** @param optimizer the optimizer to drive; @param options k (default 1). */
  constructor(optimizer: Optimizer, options: { k?: number } = {}) {
    super('InverseSqrtLR', optimizer, { k: options.k ?? 1 });
  }
  /** k must be a number > 0. */
  protected checkOptions(o: InverseSqrtLROptions): void {
    checkNumber(this.name, 'k', o.k, 0, true);
  }
  /** k · lr0 / √(epoch + 1). */
  protected computeLrs(epoch: number): number[] {
    const f = this.options.k / Math.sqrt(epoch + 1);
    return this.baseLrs.map((lr) => lr * f);
  }
}
