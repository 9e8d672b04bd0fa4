import { ValueError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { restoreHyperParams, serializeHyperParams, type HyperParamValue } from '../hyper-params.js';
import type { Optimizer } from '../optimizer.js';
import { checkInteger, checkNumber } from './lr-scheduler.js';

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** 'min': the metric should go down (a loss); 'max': up (an accuracy). Default 'min'. */
  mode: 'min' | 'max';
  /** Multiply the learning rate by this on a plateau (< 1). Default 0.1. */
  factor: number;
  /** Epochs without improvement tolerated before reducing. Default 10. */
  patience: number;
  /** How much better than the best a metric must be to count as an improvement. Default 1e-4. */
  threshold: number;
  /** 'rel': better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold. Default 'rel'. */
  thresholdMode: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. Default 0. */
  cooldown: number;
  /** Lower bound of the learning rate, one for all groups or one per group. Default 0. */
  minLr: number | number[];
  /** Reductions smaller than this are skipped. Default 1e-8. */
  eps: number;
}

/** The JSON-serializable state of a {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauStateDict {
  /** Number of `step()` calls so far. */
  lastEpoch: number;
  /** The best metric seen so far (null before the first). */
  best: number | null;
  /** Consecutive epochs without improvement. */
  numBadEpochs: number;
  /** Epochs of cooldown left. */
  cooldownCounter: number;
  /** The learning rates after the last step. */
  lastLr: number[];
  /** The schedule's options. */
  options: Record<string, HyperParamValue>;
}

/**
 * Reduce the learning rate when a metric stops improving (the decks' "×0.1 on plateaus"), exactly
 * `torch.optim.lr_scheduler.ReduceLROnPlateau`: after more than `patience` epochs without an
 * improvement of at least `threshold`, every group's lr becomes `max(lr·factor, minLr)`, then
 * `cooldown` epochs pass before bad epochs are counted again.
 *
 * @example sched.step(valLoss) // once per epoch, after validation
 */
export class ReduceLROnPlateau {
  /** The optimizer whose learning rates this schedule sets. */
  readonly optimizer: Optimizer;
  /** Number of `step()` calls so far. */
  lastEpoch = 0;
  /** The best metric seen so far (null before the first). */
  best: number | null = null;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  private options: ReduceLROnPlateauOptions;
  private lastLrs: number[];

  /** @param optimizer the optimizer to drive; @param options see {@link ReduceLROnPlateauOptions}. */
  constructor(optimizer: Optimizer, options: Partial<ReduceLROnPlateauOptions> = {}) {
    this.optimizer = optimizer;
    const o: ReduceLROnPlateauOptions = {
      mode: options.mode ?? 'min',
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 10,
      threshold: options.threshold ?? 1e-4,
      thresholdMode: options.thresholdMode ?? 'rel',
      cooldown: options.cooldown ?? 0,
      minLr: Array.isArray(options.minLr) ? [...options.minLr] : (options.minLr ?? 0),
      eps: options.eps ?? 1e-8,
    };
    this.checkOptions(o);
    this.options = o;
    this.lastLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Record this epoch's metric (a number or a one-element tensor) and reduce the lr on a plateau. */
  step(metric: number | Tensor): void {
    const current = typeof metric === 'number' ? metric : metric.item();
    this.lastEpoch += 1;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.options.patience) {
      this.reduceLr();
      this.cooldownCounter = this.options.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLrs = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The learning rate of each parameter group after the last `step()`. */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** Whether the schedule is waiting out a cooldown. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** The schedule's state as plain JSON-serializable data. */
  stateDict(): ReduceLROnPlateauStateDict {
    return {
      lastEpoch: this.lastEpoch,
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastLr: [...this.lastLrs],
      options: serializeHyperParams(this.options),
    };
  }

  /** Restore state saved by {@link stateDict} (the optimizer's lrs come back with its own state). */
  loadStateDict(sd: ReduceLROnPlateauStateDict): void {
    const op = 'ReduceLROnPlateau.loadStateDict';
    if (typeof sd !== 'object' || sd === null) {
      throw new ValueError(op, 'expected an object as returned by stateDict()');
    }
    for (const key of ['lastEpoch', 'numBadEpochs', 'cooldownCounter'] as const) {
      if (typeof sd[key] !== 'number')
        throw new ValueError(op, `${key} should be a number, got ${typeof sd[key]}`);
    }
    if (sd.best !== null && typeof sd.best !== 'number') {
      throw new ValueError(op, `best should be a number or null, got ${typeof sd.best}`);
    }
    const n = this.optimizer.paramGroups.length;
    if (!Array.isArray(sd.lastLr) || sd.lastLr.length !== n) {
      throw new ValueError(op, `lastLr should hold ${n} numbers (one per parameter group)`);
    }
    const options = restoreHyperParams(op, 'options', this.options, sd.options);
    this.checkOptions(options);
    this.options = options;
    this.lastEpoch = sd.lastEpoch;
    this.best = sd.best;
    this.numBadEpochs = sd.numBadEpochs;
    this.cooldownCounter = sd.cooldownCounter;
    this.lastLrs = [...sd.lastLr];
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.options;
    if (this.best === null) return mode === 'min' ? a < Infinity : a > -Infinity;
    const best = this.best;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  private reduceLr(): void {
    const { factor, eps } = this.options;
    this.optimizer.paramGroups.forEach((g, i) => {
      const newLr = Math.max(g.lr * factor, this.minLrOf(i));
      if (g.lr - newLr > eps) g.lr = newLr;
    });
  }

  private minLrOf(i: number): number {
    const m = this.options.minLr;
    return Array.isArray(m) ? m[i]! : m;
  }

  private checkOptions(o: ReduceLROnPlateauOptions): void {
    const name = 'ReduceLROnPlateau';
    if (o.mode !== 'min' && o.mode !== 'max') {
      throw new ValueError(name, `mode must be 'min' or 'max', got '${String(o.mode)}'`);
    }
    if (o.thresholdMode !== 'rel' && o.thresholdMode !== 'abs') {
      throw new ValueError(name, `thresholdMode must be 'rel' or 'abs', got '${String(o.thresholdMode)}'`);
    }
    checkNumber(name, 'factor', o.factor, 0);
    if (o.factor >= 1) {
      throw new ValueError(name, `factor must be < 1 (it multiplies the lr on a plateau), got ${o.factor}`);
    }
    checkInteger(name, 'patience', o.patience, 0);
    checkNumber(name, 'threshold', o.threshold, 0);
    checkInteger(name, 'cooldown', o.cooldown, 0);
    checkNumber(name, 'eps', o.eps, 0);
    const n = this.optimizer.paramGroups.length;
    if (Array.isArray(o.minLr)) {
      if (o.minLr.length !== n) {
        throw new ValueError(
          name,
          `minLr has ${o.minLr.length} values but the optimizer has ${n} parameter groups`,
        );
      }
      o.minLr.forEach((m, i) => checkNumber(name, `minLr[${i}]`, m, 0));
    } else {
      checkNumber(name, 'minLr', o.minLr, 0);
    }
  }
}
