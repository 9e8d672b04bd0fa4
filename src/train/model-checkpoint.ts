import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { resolveMode, type Callback, type Logs, type MonitorMode, type TrainingContext } from './callback.js';

/** Writes a model to a path; `st.save` in Node. */
export type ModelSaver = (model: Module, path: string) => void | Promise<void>;

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Where to save; `{epoch}` and any log name in braces (e.g. `{val_loss}`) are filled in. */
  path: string;
  /** How to write the model (in Node: `(m, p) => st.save(m, p)`). */
  save: ModelSaver;
  /** Quantity that decides "best" (default `val_loss`). */
  monitor?: string;
  /** Save only when the monitored quantity improves (default true). */
  saveBestOnly?: boolean;
  /** Direction of improvement (default 'auto'). */
  mode?: MonitorMode;
}

/** Save the model after epochs, by default only when the monitored quantity improves. */
export class ModelCheckpoint implements Callback {
  readonly path: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  private readonly mode: 'min' | 'max';
  private readonly save: ModelSaver;
  /** Best value seen. */
  best = NaN;
  /** Paths written, in order. */
  readonly saved: string[] = [];

  constructor(opts: ModelCheckpointOptions) {
    if (!opts.path) throw new ValueError('ModelCheckpoint', 'path is required');
    this.path = opts.path;
    this.save = opts.save;
    this.monitor = opts.monitor ?? 'val_loss';
    this.saveBestOnly = opts.saveBestOnly ?? true;
    this.mode = resolveMode(this.monitor, opts.mode ?? 'auto');
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext): Promise<void> {
    if (this.saveBestOnly) {
      const v = logs[this.monitor];
      if (v === undefined) {
        throw new ValueError(
          'ModelCheckpoint',
          `monitored quantity '${this.monitor}' is not in the logs (available: ${Object.keys(logs).join(', ')})`,
        );
      }
      const better = Number.isNaN(this.best) || (this.mode === 'min' ? v < this.best : v > this.best);
      if (!better) return;
      this.best = v;
    }
    const p = this.path.replace(/\{(\w+)\}/g, (m, key: string) =>
      key === 'epoch' ? String(epoch + 1) : logs[key] !== undefined ? logs[key].toFixed(4) : m,
    );
    await this.save(ctx.model, p);
    this.saved.push(p);
  }
}
