import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** The counter values at which the learning rate decays (sorted on construction). */
  milestones: number[];
  /** Multiplicative factor of each decay. Default 0.1. */
  gamma: number;
}

/**
 * Decay at chosen epochs, like `torch.optim.lr_scheduler.MultiStepLR`:
 * `lr = lr0 · gamma^(number of milestones <= epoch)` (a repeated milestone decays twice).
 */
export class MultiStepLR extends LRScheduler<MultiStepLROptions> {
  /** @param optimizer the optimizer to drive; @param options milestones and gamma (default 0.1). */
  constructor(optimizer: Optimizer, options: { milestones: readonly number[]; gamma?: number }) {
    super('MultiStepLR', optimizer, {
      milestones: sortedMilestones(options.milestones),
      gamma: options.gamma ?? 0.1,
    });
  }
  /** Milestones must be numbers >= 0, gamma a number >= 0. */
  protected checkOptions(o: MultiStepLROptions): void {
    o.milestones.forEach((m, i) => checkNumber(this.name, `milestones[${i}]`, m, 0));
    checkNumber(this.name, 'gamma', o.gamma, 0);
  }
  /** lr0 · gamma^(milestones passed). */
  protected computeLrs(epoch: number): number[] {
    let passed = 0;
    for (const m of this.options.milestones) if (m <= epoch) passed++;
    const f = this.options.gamma ** passed;
    return this.baseLrs.map((lr) => lr * f);
  }
}

function sortedMilestones(milestones: readonly number[]): number[] {
  if (!Array.isArray(milestones)) {
    throw new ValueError('MultiStepLR', `milestones must be an array of epochs, got ${typeof milestones}`);
  }
  return [...milestones].sort((a, b) => a - b);
}
