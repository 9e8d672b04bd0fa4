import type { Optimizer } from '../optimizer.js';
import { checkInteger, checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Decay every `stepSize` steps (epochs, or batches when stepped per batch). */
  stepSize: number;
  /** Multiplicative factor of each decay. Default 0.1. */
  gamma: number;
}

/**
 * Step decay ("discrete staircase"), like `torch.optim.lr_scheduler.StepLR`:
 * `lr = lr0 · gamma^⌊epoch / stepSize⌋`.
 */
export class StepLR extends LRScheduler<StepLROptions> {
  /** @param optimizer the optimizer to drive; @param options stepSize and gamma (default 0.1). */
  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number }) {
    super('StepLR', optimizer, { stepSize: options.stepSize, gamma: options.gamma ?? 0.1 });
  }
  /** stepSize must be a positive integer, gamma a number >= 0. */
  protected checkOptions(o: StepLROptions): void {
    checkInteger(this.name, 'stepSize', o.stepSize, 1);
    checkNumber(this.name, 'gamma', o.gamma, 0);
  }
  /** lr0 · gamma^⌊epoch / stepSize⌋. */
  protected computeLrs(epoch: number): number[] {
    const f = this.options.gamma ** Math.floor(epoch / this.options.stepSize);
    return this.baseLrs.map((lr) => lr * f);
  }
}
