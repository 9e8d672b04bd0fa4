import { DataLoader } from '../data/loader.js';
import type { Dataset, Sample } from '../data/dataset.js';
import { trainValidationSplit } from '../data/split.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip-grad.js';
import type { Optimizer } from '../optim/optimizer.js';
import { concat } from '../ops/shape-ops.js';
import { Tensor } from '../tensor/tensor.js';
import type { Callback, Logs, TrainingContext } from './callback.js';
import { resolveLoss, type LossSpec } from './loss-spec.js';
import { resolveMetrics, type MetricSpec } from './metric-spec.js';
import { ProgressBar } from './progress.js';
import { recordModelCard } from './record-model-card.js';

/** Training data: a dataset (batched by fit) or a ready DataLoader. */
export type TrainData = Dataset<Sample> | DataLoader;

/** Options of {@link fit}. */
export interface FitOptions {
  /** The optimizer that updates the model's parameters. */
  optimizer: Optimizer;
  /** The loss (default 'crossEntropy'). */
  loss?: LossSpec;
  /** Metrics logged per epoch (default ['accuracy'] for crossEntropy, none otherwise). */
  metrics?: MetricSpec[];
  /** Number of epochs (default 1). */
  epochs?: number;
  /** Batch size when `data` is a dataset (default 32). */
  batchSize?: number;
  /** Shuffle each epoch when `data` is a dataset (default true). */
  shuffle?: boolean;
  /** Seed for shuffling and the validation split. */
  seed?: number;
  /** Data evaluated after every epoch; its values are logged with a `val_` prefix. */
  validationData?: TrainData;
  /** Hold out this fraction of a dataset for validation instead (seeded, stratified). */
  validationSplit?: number;
  /** Training callbacks (early stopping, checkpoints, schedules, loggers, your own). */
  callbacks?: Callback[];
  /** 1: progress bar (default); 0: silent. */
  verbose?: 0 | 1;
  /** Clip the global gradient norm before each step. */
  clipGradNorm?: number;
}

/** What fit returns: per-epoch values of every logged quantity. */
export interface History {
  epochs: number[];
  history: Record<string, number[]>;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  loss?: LossSpec;
  metrics?: MetricSpec[];
  batchSize?: number;
}

function toLoader(
  data: TrainData,
  batchSize: number,
  shuffle: boolean,
  seed: number | undefined,
): DataLoader {
  if (data instanceof DataLoader) return data;
  return new DataLoader(data, { batchSize, shuffle, ...(seed !== undefined ? { seed } : {}) });
}

/** Running sample-weighted means of the loss and metrics over an epoch. */
class Meter {
  private sums = new Map<string, number>();
  private count = 0;
  add(values: Record<string, number>, n: number): void {
    for (const [k, v] of Object.entries(values)) this.sums.set(k, (this.sums.get(k) ?? 0) + v * n);
    this.count += n;
  }
  logs(prefix = ''): Logs {
    const out: Logs = {};
    for (const [k, s] of this.sums) out[prefix + k] = this.count ? s / this.count : NaN;
    return out;
  }
}

/**
 * Train `model` Keras-style: epochs of mini-batch steps (forward, loss, backward, optimizer
 * step), a progress bar, validation after each epoch, callbacks. Returns the history.
 *
 * ```ts
 * const history = await fit(model, trainSet, {
 *   optimizer: new st.optim.Adam(model.parameters(), { lr: 1e-3 }),
 *   epochs: 2, batchSize: 64, validationData: testSet, metrics: ['accuracy'],
 * });
 * ```
 */
export async function fit(model: Module, data: TrainData, opts: FitOptions): Promise<History> {
  const epochs = opts.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new ValueError('fit', `epochs must be a positive integer, got ${opts.epochs}`);
  if (!opts.optimizer)
    throw new ValueError(
      'fit',
      'an optimizer is required, e.g. {optimizer: new st.optim.Adam(model.parameters())}',
    );
  const lossSpec = opts.loss ?? 'crossEntropy';
  const lossFn = resolveLoss(lossSpec);
  const metrics = resolveMetrics(opts.metrics ?? (lossSpec === 'crossEntropy' ? ['accuracy'] : []));
  const batchSize = opts.batchSize ?? 32;

  let trainData: TrainData = data;
  let valData = opts.validationData;
  if (opts.validationSplit !== undefined) {
    if (data instanceof DataLoader) {
      throw new ValueError(
        'fit',
        'validationSplit needs a dataset, not a DataLoader; pass validationData instead',
      );
    }
    const split = trainValidationSplit(data, opts.validationSplit, {
      seed: opts.seed ?? 0,
      stratified: true,
    });
    trainData = split.train;
    valData = split.validation;
  }
  recordModelCard(model, data, lossSpec);
  const loader = toLoader(trainData, batchSize, opts.shuffle ?? true, opts.seed);
  const valLoader = valData ? toLoader(valData, batchSize, false, undefined) : null;

  const callbacks: Callback[] = [
    ...(opts.verbose === 0 ? [] : [new ProgressBar()]),
    ...(opts.callbacks ?? []),
  ];
  const ctx: TrainingContext = { model, epochs, stepsPerEpoch: loader.length, stopTraining: false };
  const history: History = { epochs: [], history: {} };
  const params = opts.clipGradNorm !== undefined ? model.parameters() : [];

  for (const cb of callbacks) await cb.onTrainBegin?.(ctx);
  let lastLogs: Logs = {};
  for (let epoch = 0; epoch < epochs && !ctx.stopTraining; epoch++) {
    model.train();
    for (const cb of callbacks) await cb.onEpochBegin?.(epoch, ctx);
    const meter = new Meter();
    let b = 0;
    for await (const batch of loader) {
      opts.optimizer.zeroGrad();
      const out = model.forward(batch.x);
      const loss = lossFn(out, batch.y);
      loss.backward();
      if (opts.clipGradNorm !== undefined) clipGradNorm(params, opts.clipGradNorm);
      opts.optimizer.step();
      const n = batch.x.shape[0] ?? 1;
      const values: Record<string, number> = { loss: loss.item() };
      for (const m of metrics) values[m.name] = m.fn(out, batch.y);
      meter.add(values, n);
      const running = meter.logs();
      for (const cb of callbacks) await cb.onBatchEnd?.(b, running, ctx);
      b++;
    }
    const logs = meter.logs();
    if (valLoader) Object.assign(logs, evaluateLoader(model, valLoader, lossFn, metrics, 'val_'));
    for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs, ctx);
    history.epochs.push(epoch);
    for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
    lastLogs = logs;
  }
  for (const cb of callbacks) await cb.onTrainEnd?.(lastLogs, ctx);
  return history;
}

function evaluateLoader(
  model: Module,
  loader: DataLoader,
  lossFn: ReturnType<typeof resolveLoss>,
  metrics: ReturnType<typeof resolveMetrics>,
  prefix = '',
): Logs {
  const wasTraining = model.training;
  model.eval();
  const meter = new Meter();
  noGrad(() => {
    for (const batch of loader) {
      const out = model.forward(batch.x);
      const values: Record<string, number> = { loss: lossFn(out, batch.y).item() };
      for (const m of metrics) values[m.name] = m.fn(out, batch.y);
      meter.add(values, batch.x.shape[0] ?? 1);
    }
  });
  model.train(wasTraining);
  return meter.logs(prefix);
}

/** Loss and metrics of `model` on `data`, in eval mode without gradients. */
export function evaluate(model: Module, data: TrainData, opts: EvaluateOptions = {}): Logs {
  const lossSpec = opts.loss ?? 'crossEntropy';
  const metrics = resolveMetrics(opts.metrics ?? (lossSpec === 'crossEntropy' ? ['accuracy'] : []));
  return evaluateLoader(
    model,
    toLoader(data, opts.batchSize ?? 256, false, undefined),
    resolveLoss(lossSpec),
    metrics,
  );
}

/**
 * Model outputs for a batch tensor or every item of a dataset (in order), in eval mode without
 * gradients, computed `batchSize` items at a time.
 */
export function predict(model: Module, data: Tensor | TrainData, opts: { batchSize?: number } = {}): Tensor {
  const batchSize = opts.batchSize ?? 256;
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      if (data instanceof Tensor) {
        const x = data;
        const n = x.shape[0] ?? 0;
        if (n <= batchSize) return model.forward(x);
        const parts: Tensor[] = [];
        for (let s = 0; s < n; s += batchSize) parts.push(model.forward(x.slice(0, s, s + batchSize)));
        return concat(parts, 0);
      }
      const loader = toLoader(data, batchSize, false, undefined);
      const parts: Tensor[] = [];
      for (const batch of loader) parts.push(model.forward(batch.x));
      return concat(parts, 0);
    });
  } finally {
    model.train(wasTraining);
  }
}
