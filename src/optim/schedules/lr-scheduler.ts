import { ValueError } from '../../errors.js';
import { restoreHyperParams, serializeHyperParams, type HyperParamValue } from '../hyper-params.js';
import type { Optimizer } from '../optimizer.js';

/** The JSON-serializable state of a learning-rate schedule. */
export interface LRSchedulerStateDict {
  /** The schedule's step counter (epochs or batches, whichever `step()` is called per). */
  lastEpoch: number;
  /** The learning rate each parameter group started from. */
  baseLrs: number[];
  /** The learning rates set by the last `step()`. */
  lastLr: number[];
  /** The schedule's options. */
  options: Record<string, HyperParamValue>;
}

/**
 * Base class of the learning-rate schedules: each sets the `lr` of every parameter group of an
 * optimizer from a closed-form function of a step counter, like `torch.optim.lr_scheduler`.
 *
 * The counter (`lastEpoch`) starts at 0 when the schedule is built (the groups get the schedule's
 * value at 0) and advances by one per `step()`. Call `step()` once per epoch for an epoch schedule
 * or once per batch for a step schedule (sizes such as `stepSize` or `tMax` are then counted in
 * batches); `step(epoch)` sets the counter instead, and accepts fractional epochs
 * (`epoch + batch / batchesPerEpoch`) to follow an epoch schedule smoothly within each epoch.
 *
 * The first schedule attached to an optimizer records each group's starting lr as `initialLr`;
 * the schedule decays from that (`baseLrs`).
 */
export abstract class LRScheduler<C extends object = object> {
  /** The optimizer whose learning rates this schedule sets. */
  readonly optimizer: Optimizer;
  /** The step counter: 0 after construction, +1 per `step()`. */
  lastEpoch = -1;
  /** The learning rate of each parameter group at counter 0. */
  baseLrs: number[];
  /** The schedule's options (after defaults). */
  protected options: C;
  /** The schedule's name, used in error messages. */
  protected readonly name: string;
  private lastLrs: number[] = [];

  /**
   * @param name the schedule's name for error messages.
   * @param optimizer the optimizer to drive.
   * @param options the schedule's options, defaults filled in and validated.
   */
  protected constructor(name: string, optimizer: Optimizer, options: C) {
    this.name = name;
    this.optimizer = optimizer;
    this.checkOptions(options);
    this.options = options;
    for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr ?? g.lr);
    this.step();
  }

  /**
   * Advance the counter by one (or set it to `epoch`) and set every group's learning rate.
   * Call it after `optimizer.step()`.
   */
  step(epoch?: number): void {
    if (epoch === undefined) {
      this.lastEpoch += 1;
    } else {
      if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0) {
        throw new ValueError(`${this.name}.step`, `epoch must be a finite number >= 0, got ${epoch}`);
      }
      this.lastEpoch = epoch;
    }
    const lrs = this.computeLrs(this.lastEpoch);
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
    this.lastLrs = lrs;
  }

  /** The learning rate of each parameter group set by the last `step()` (or at construction). */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** The schedule's state as plain JSON-serializable data. */
  stateDict(): LRSchedulerStateDict {
    return {
      lastEpoch: this.lastEpoch,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLrs],
      options: serializeHyperParams(this.options),
    };
  }

  /**
   * Restore state saved by {@link stateDict} into a schedule of the same kind over an optimizer with
   * as many parameter groups. Like PyTorch, the optimizer's learning rates are not touched: they
   * come back with the optimizer's own `loadStateDict()`.
   */
  loadStateDict(sd: LRSchedulerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (typeof sd !== 'object' || sd === null || typeof sd.lastEpoch !== 'number') {
      throw new ValueError(
        op,
        'expected an object with lastEpoch, baseLrs, lastLr and options, as returned by stateDict()',
      );
    }
    const n = this.optimizer.paramGroups.length;
    for (const key of ['baseLrs', 'lastLr'] as const) {
      const v: unknown = sd[key];
      if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number')) {
        throw new ValueError(
          op,
          `${key} should be ${n} numbers (one per parameter group), got ${JSON.stringify(v)}. ` +
            'Fix: load state saved from a schedule over the same parameter groups',
        );
      }
    }
    const options = restoreHyperParams(op, 'options', this.options, sd.options);
    this.checkOptions(options);
    this.options = options;
    this.lastEpoch = sd.lastEpoch;
    this.baseLrs = [...sd.baseLrs];
    this.lastLrs = [...sd.lastLr];
  }

  /** Validate options (restored ones included); throw a ValueError naming the bad one. */
  protected abstract checkOptions(options: C): void;

  /** The learning rate of every parameter group at counter value `epoch`. */
  protected abstract computeLrs(epoch: number): number[];
}

/** Throw a ValueError from `op` unless `value` is a finite number >= `min` (> `min` when `strict`). */
export function checkNumber(op: string, option: string, value: number, min: number, strict = false): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (strict ? value > min : value >= min);
  if (!ok)
    throw new ValueError(op, `${option} must be a finite number ${strict ? '>' : '>='} ${min}, got ${value}`);
}

/** Throw a ValueError from `op` unless `value` is an integer >= `min`. */
export function checkInteger(op: string, option: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValueError(op, `${option} must be an integer >= ${min}, got ${value}`);
  }
}
