import type { Optimizer } from '../optimizer.js';
import { checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Steps from lr0 down to etaMin (half a cosine period). */
  tMax: number;
  /** The lowest learning rate. Default 0. */
  etaMin: number;
}

/**
 * Cosine annealing without restarts, like `torch.optim.lr_scheduler.CosineAnnealingLR` (its closed
 * form): `lr = etaMin + (lr0 − etaMin)·(1 + cos(π·epoch/tMax))/2`. Past tMax the cosine goes on,
 * climbing back toward lr0, as in PyTorch.
 */
export class CosineAnnealingLR extends LRScheduler<CosineAnnealingLROptions> {
  /** @param optimizer the optimizer to drive; @param options tMax and etaMin (default 0). */
  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', optimizer, { tMax: options.tMax, etaMin: options.etaMin ?? 0 });
  }
  /** tMax must be > 0, etaMin >= 0. */
  protected checkOptions(o: CosineAnnealingLROptions): void {
    checkNumber(this.name, 'tMax', o.tMax, 0, true);
    checkNumber(this.name, 'etaMin', o.etaMin, 0);
  }
  /** etaMin + (lr0 − etaMin)·(1 + cos(π·epoch/tMax))/2. */
  protected computeLrs(epoch: number): number[] {
    const { tMax, etaMin } = this.options;
    const f = (1 + Math.cos((Math.PI * epoch) / tMax)) / 2;
    return this.baseLrs.map((lr) => etaMin + (lr - etaMin) * f);
  }
}
