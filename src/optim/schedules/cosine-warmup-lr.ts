import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { checkInteger, checkNumber, LRScheduler } from './lr-scheduler.js';

/** Options of {@link CosineWarmupLR}. */
export interface CosineWarmupLROptions {
  /** Steps of linear warm-up W. */
  warmupSteps: number;
  /** Total steps T (warm-up included); the lr reaches etaMin at T and stays there. */
  totalSteps: number;
  /** The lowest learning rate. Default 0. */
  etaMin: number;
  /** The warm-up starts at `warmupStartFactor · lr0`. Default 0. */
  warmupStartFactor: number;
}

/**
 * Cosine decay with linear warm-up (as in `transformers.get_cosine_schedule_with_warmup`, or
 * PyTorch's `SequentialLR([LinearLR, CosineAnnealingLR])`):
 * - `epoch < W`: `lr = lr0 · (s + (1 − s)·epoch/W)` with `s = warmupStartFactor`;
 * - `W <= epoch < T`: `lr = etaMin + (lr0 − etaMin)·(1 + cos(π·(epoch − W)/(T − W)))/2`;
 * - `epoch >= T`: `lr = etaMin`.
 *
 * Usually stepped per batch, with W and T counted in batches.
 */
export class CosineWarmupLR extends LRScheduler<CosineWarmupLROptions> {
  /** @param optimizer the optimizer to drive; @param options W, T, etaMin (0), warmupStartFactor (0). */
  constructor(
    optimizer: Optimizer,
    options: { warmupSteps: number; totalSteps: number; etaMin?: number; warmupStartFactor?: number },
  ) {
    super('CosineWarmupLR', optimizer, {
      warmupSteps: options.warmupSteps,
      totalSteps: options.totalSteps,
      etaMin: options.etaMin ?? 0,
      warmupStartFactor: options.warmupStartFactor ?? 0,
    });
  }
  /** W >= 0 and T > W integers; etaMin >= 0; warmupStartFactor in [0, 1]. */
  protected checkOptions(o: CosineWarmupLROptions): void {
    checkInteger(this.name, 'warmupSteps', o.warmupSteps, 0);
    checkInteger(this.name, 'totalSteps', o.totalSteps, 1);
    if (o.totalSteps <= o.warmupSteps) {
      throw new ValueError(
        this.name,
        `totalSteps (${o.totalSteps}) must exceed warmupSteps (${o.warmupSteps}): totalSteps counts the warm-up too`,
      );
    }
    checkNumber(this.name, 'etaMin', o.etaMin, 0);
    checkNumber(this.name, 'warmupStartFactor', o.warmupStartFactor, 0);
    if (o.warmupStartFactor > 1) {
      throw new ValueError(this.name, `warmupStartFactor must be in [0, 1], got ${o.warmupStartFactor}`);
    }
  }
  /** Linear warm-up, then cosine decay to etaMin. */
  protected computeLrs(epoch: number): number[] {
    const { warmupSteps: w, totalSteps: t, etaMin, warmupStartFactor: s } = this.options;
    if (epoch < w) {
      const f = s + ((1 - s) * epoch) / w;
      return this.baseLrs.map((lr) => lr * f);
    }
    if (epoch >= t) return this.baseLrs.map(() => etaMin);
    const f = (1 + Math.cos((Math.PI * (epoch - w)) / (t - w))) / 2;
    return this.baseLrs.map((lr) => etaMin + (lr - etaMin) * f);
  }
}
