import type { Optimizer } from '../optimizer.js';
import { checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link InverseTimeLR}. */
export interface InverseTimeLROptions {
  /** The decay rate. */
  decayRate: number;
}

/**
 * Inverse-time decay, the decks' `α = α0 / (1 + decayRate·EPOCH)`: `lr = lr0 / (1 + decayRate·epoch)`
 * with the counter starting at 0, so the first epoch trains at lr0 (as Keras' `InverseTimeDecay`
 * with `decaySteps` 1). Stepped per batch, `decayRate` is per batch.
 */
export class InverseTimeLR extends LRScheduler<InverseTimeLROptions> {
  /** @param optimizer the optimizer to drive; @param options the decay rate. */
  constructor(optimizer: Optimizer, options: InverseTimeLROptions) {
    super('InverseTimeLR', optimizer, { decayRate: options.decayRate });
  }
  /** decayRate must be a number >= 0. */
  protected checkOptions(o: InverseTimeLROptions): void {
    checkNumber(this.name, 'decayRate', o.decayRate, 0);
  }
  /** lr0 / (1 + decayRate·epoch). */
  protected computeLrs(epoch: number): number[] {
    const f = 1 / (1 + this.options.decayRate * epoch);
    return this.baseLrs.map((lr) => lr * f);
  }
}
