import { ValueError } from '../errors.js';
import type { StateDict } from '../nn/module.js';
import { resolveMode, type Callback, type Logs, type MonitorMode, type TrainingContext } from './callback.js';
import { copyStateDict } from './state-copy.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Quantity to watch (default `val_loss`). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0: stop at the first epoch that does not improve). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Direction of improvement (default 'auto': up for accuracy-like names, down otherwise). */
  mode?: MonitorMode;
  /** At the end, put back the weights of the best epoch (default false, as in Keras). */
  restoreBestWeights?: boolean;
}

/** Stop training when a monitored quantity stops improving; optionally restore the best weights. */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private readonly mode: 'min' | 'max';
  /** Best value seen so far. */
  best = NaN;
  /** Epoch (from 0) of the best value. */
  bestEpoch = -1;
  /** Epoch at which training was stopped, or -1. */
  stoppedEpoch = -1;
  private wait = 0;
  private bestWeights: StateDict | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.monitor = opts.monitor ?? 'val_loss';
    this.patience = opts.patience ?? 0;
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.mode = resolveMode(this.monitor, opts.mode ?? 'auto');
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new ValueError('EarlyStopping', `patience must be a non-negative integer, got ${opts.patience}`);
    }
  }

  onTrainBegin(): void {
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.bestWeights = null;
  }

  private improved(v: number): boolean {
    if (Number.isNaN(this.best)) return true;
    return this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext): void {
    const v = logs[this.monitor];
    if (v === undefined) {
      throw new ValueError(
        'EarlyStopping',
        `monitored quantity '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')}). ` +
          'Fix: pass validation data for val_* quantities, or monitor one of the available names',
      );
    }
    if (this.improved(v)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = copyStateDict(ctx.model.stateDict());
      return;
    }
    this.wait++;
    if (this.wait > this.patience) {
      this.stoppedEpoch = epoch;
      ctx.stopTraining = true;
    }
  }

  onTrainEnd(_logs: Logs, ctx: TrainingContext): void {
    if (this.restoreBestWeights && this.bestWeights) ctx.model.loadStateDict(this.bestWeights);
  }
}
