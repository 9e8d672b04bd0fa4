import type { LRScheduler } from '../optim/schedules/lr-scheduler.js';
import { ReduceLROnPlateau } from '../optim/schedules/reduce-lr-on-plateau.js';
import type { Callback, Logs } from './callback.js';

/** Options of {@link LearningRateScheduler}. */
export interface LearningRateSchedulerOptions {
  /** Step the schedule after every batch instead of every epoch (default false). */
  perStep?: boolean;
  /** For ReduceLROnPlateau: the logged quantity to pass (default `val_loss`). */
  monitor?: string;
}

/**
 * Drive a learning-rate schedule from `fit`: `step()` after each epoch (or batch with `perStep`);
 * a ReduceLROnPlateau schedule receives the monitored quantity. The current rate is logged as `lr`.
 */
export class LearningRateScheduler implements Callback {
  readonly scheduler: LRScheduler | ReduceLROnPlateau;
  readonly perStep: boolean;
  readonly monitor: string;

  constructor(scheduler: LRScheduler | ReduceLROnPlateau, opts: LearningRateSchedulerOptions = {}) {
    this.scheduler = scheduler;
    this.perStep = opts.perStep ?? false;
    this.monitor = opts.monitor ?? 'val_loss';
  }

  onBatchEnd(): void {
    const s = this.scheduler;
    if (this.perStep && !(s instanceof ReduceLROnPlateau)) s.step();
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs['lr'] = this.scheduler.optimizer.paramGroups[0]?.lr ?? NaN;
    const s = this.scheduler;
    if (s instanceof ReduceLROnPlateau) {
      const v = logs[this.monitor] ?? logs['loss'];
      if (v !== undefined) s.step(v);
    } else if (!this.perStep) s.step();
  }
}
