import type { Module } from '../nn/module.js';

/** Values logged during training: `loss`, metric names, and `val_`-prefixed validation values. */
export type Logs = Record<string, number>;

/** What a callback can see and steer while `fit` runs. */
export interface TrainingContext {
  /** The model being trained. */
  readonly model: Module;
  /** Total epochs asked for. */
  readonly epochs: number;
  /** Batches per training epoch. */
  readonly stepsPerEpoch: number;
  /** Set to true to end training after the current epoch (early stopping). */
  stopTraining: boolean;
}

/**
 * A training callback (Keras-style). Implement any subset of the hooks; they may be async.
 * Epochs are counted from 0.
 */
export interface Callback {
  onTrainBegin?(ctx: TrainingContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainingContext): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs, ctx: TrainingContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainingContext): void | Promise<void>;
  onTrainEnd?(logs: Logs, ctx: TrainingContext): void | Promise<void>;
}

/** Whether a monitored quantity improves when it goes down (`min`) or up (`max`). */
export type MonitorMode = 'min' | 'max' | 'auto';

/** Resolve 'auto': accuracy-like quantities improve upward, losses downward. */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|f1|precision|recall|auc/i.test(monitor) ? 'max' : 'min';
}
